/**
 * vendorSummary: the one function every adapter passes vendor text through
 * before it can reach Slack, the audit log or a log line.
 */
import { describe, expect, it } from 'vitest';
import { VENDOR_SUMMARY_MAX, vendorSummary } from '../src/adapters/vendor-text.js';

describe('vendorSummary', () => {
  it.each([
    ['an echoed Authorization header (Looker token)', 'Request failed: {"Authorization":"token 4QDkCyCtZzYgj4C2p2cj3csJH7zqS5RzKs2kTnG4"}', '4QDkCy'],
    ['a Bearer header line', 'Bad request\nAuthorization: Bearer ya29.a0AfH6SMBx3-secret-token-value\nHost: x', 'ya29'],
    ['basic credentials', 'denied for Basic dGVzdC1rZXk6dGVzdC1zZWNyZXQtdmFsdWU=', 'dGVzdC1rZXk6'],
    ['a client secret in a form echo', 'invalid client_id=abc123&client_secret=supersecret99 sent', 'supersecret99'],
    ['a JSON api key', '{"api_key": "k_live_12345abcdef", "message": "nope"}', 'k_live_12345abcdef'],
    ['a Slack token', 'posting with xoxb-1234-5678-abcdefghijkl failed', 'xoxb-1234'],
    ['a JWT', 'assertion eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl rejected', 'eyJhbGci'],
    ['a signed URL', 'see https://storage.googleapis.com/b/o?X-Goog-Signature=abcdef0123456789&X-Goog-Credential=me', 'abcdef0123456789'],
    ['credentials in a URL', 'cannot reach https://user:p4ssw0rd@proxy.example.com/api', 'p4ssw0rd'],
    ['a long random key', 'key 9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6 is not valid', '9f8e7d6c5b4a'],
  ])('cuts %s', (_what, text, secret) => {
    const out = vendorSummary(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('cuts the caller\'s own credentials wherever they appear, even ones no pattern would take for a secret', () => {
    const out = vendorSummary('key Kq7WmXzLp4RtVbNc, secret qWeRtYuIoPaSdFgHjKlZxCvB: denied', '', ['Kq7WmXzLp4RtVbNc', 'qWeRtYuIoPaSdFgHjKlZxCvB', undefined]);
    expect(out).toBe('key [redacted], secret [redacted]: denied');
    expect(vendorSummary('Kq7WmXzLp4RtVbNc is a word to the patterns')).toContain('Kq7WmXzLp4RtVbNc');
  });

  it('keeps ordinary vendor words, emails, resource names and timestamps', () => {
    expect(vendorSummary('Validation Failed (role_ids Role 999 not found)')).toBe('Validation Failed (role_ids Role 999 not found)');
    expect(vendorSummary('Query error: Table sourcegraph_production.subscriptions_raw was not found')).toContain('sourcegraph_production.subscriptions_raw');
    expect(vendorSummary('User alex@example.com is disabled')).toBe('User alex@example.com is disabled');
    expect(vendorSummary('Transfer config projects/123456789/locations/us/transferConfigs/6543 not found')).toContain('transferConfigs/6543');
    expect(vendorSummary('rescheduled for 2026-11-30T10:00:00.000Z')).toContain('2026-11-30T10:00:00.000Z');
  });

  it('is one short line', () => {
    const out = vendorSummary(`first line\r\nsecond\tline\u0000${'word '.repeat(200)}`);
    expect(out).not.toMatch(/[\r\n\t\u0000]/);
    expect(out.length).toBeLessThanOrEqual(VENDOR_SUMMARY_MAX + 1);
    expect(out.endsWith('…')).toBe(true);
  });

  it('falls back for what is not text', () => {
    expect(vendorSummary(undefined, 'no details')).toBe('no details');
    expect(vendorSummary({ message: 'x' }, 'no details')).toBe('no details');
    expect(vendorSummary('   ', 'no details')).toBe('no details');
  });
});

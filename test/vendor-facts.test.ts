/**
 * The vendor facts the fakes check requests against (test/support/vendor-facts/),
 * and the checker itself: a request the spec refuses, or one to an operation
 * the facts do not describe, is a violation that fails the test.
 */
import { describe, expect, it } from 'vitest';
import { SpecChecker, type SeenRequest, type VendorFacts } from './support/vendor-facts/spec.js';
import { lookerFacts } from './support/vendor-facts/looker.js';
import { fivetranFacts } from './support/vendor-facts/fivetran.js';
import { dataTransferFacts } from './support/vendor-facts/datatransfer.js';
import { bigQueryFacts } from './support/vendor-facts/bigquery.js';

const ALL: VendorFacts[] = [lookerFacts, fivetranFacts, dataTransferFacts, bigQueryFacts];

const req = (method: string, path: string, init: { query?: string; headers?: Record<string, string>; body?: string } = {}): SeenRequest => ({
  method, path, query: new URLSearchParams(init.query ?? ''), headers: init.headers ?? {}, body: init.body ?? '',
});

describe('the facts', () => {
  it.each(ALL.map((f) => [f.vendor, f] as const))('%s: every source has a version and a date read; every operation its source and responses', (_v, facts) => {
    expect(facts.sources.length).toBeGreaterThan(0);
    for (const s of facts.sources) {
      expect(s.version).toBeTruthy();
      expect(s.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(facts.errorShape).toBeTruthy();
    const ids = facts.operations.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of facts.operations) {
      expect(op.source).toBeTruthy();
      expect(Object.keys(op.responses).some((k) => k.startsWith('2'))).toBe(true);
    }
    // Statuses, classes ('5xx', '4XX') or 'default': the keys SpecChecker.answered reads.
    for (const key of [...facts.operations.flatMap((o) => Object.keys(o.responses)), ...Object.keys(facts.anyOperation ?? {})]) {
      expect(key).toMatch(/^([1-5]\d\d|[1-5][xX]{2}|default)$/);
    }
  });
});

describe('SpecChecker', () => {
  // A checker of our own is disposed (cleared) before the test ends, so its deliberate violations fail nothing.
  const checker = (facts: VendorFacts) => new SpecChecker(facts);

  it('refuses a request to an operation the facts do not describe', () => {
    const c = checker(lookerFacts);
    expect(c.check(req('GET', '/api/4.0/users/1')).problems).toEqual([expect.stringContaining('no operation of Looker API 4.0')]);
    expect(c.take()).toHaveLength(1);
  });

  it('checks auth, body fields and their types, and query parameters', () => {
    const c = checker(lookerFacts);
    const auth = { authorization: 'token abc', 'content-type': 'application/json' };
    expect(c.check(req('POST', '/api/4.0/groups/10/users', { headers: auth, body: '{"user_id":"7"}' })).problems).toEqual([]);
    expect(c.check(req('POST', '/api/4.0/groups/10/users', { headers: { 'content-type': 'application/json' }, body: '{"user_id":"7"}' })).problems).toEqual([expect.stringContaining('no Authorization header')]);
    expect(c.check(req('POST', '/api/4.0/groups/10/users', { headers: auth, body: '{"user_id":7}' })).problems).toEqual([expect.stringContaining('body.user_id: expected a string')]);
    expect(c.check(req('POST', '/api/4.0/groups/10/users', { headers: auth, body: '{}' })).problems).toEqual([expect.stringContaining('body.user_id: required')]);
    // Read-only User fields are not accepted by create_user (`email` is set through credentials_email).
    expect(c.check(req('POST', '/api/4.0/users', { headers: auth, body: '{"first_name":"A","email":"a@x.com"}' })).problems).toEqual([expect.stringContaining('body.email: not a field the spec accepts')]);
    expect(c.check(req('GET', '/api/4.0/users/search', { headers: auth, query: 'email=a%40x.com&limit=ten' })).problems).toEqual([expect.stringContaining('"ten" is not an integer')]);
    expect(c.check(req('GET', '/api/4.0/users/search', { headers: auth, query: 'mail=a' })).problems).toEqual([expect.stringContaining('"mail" is not in the spec')]);
    expect(c.take()).toHaveLength(6);
  });

  it('knows Google resource names, with or without a location, and refuses a malformed one', () => {
    const c = checker(dataTransferFacts);
    const h = { authorization: 'Bearer t', 'content-type': 'application/json' };
    const body = '{"requestedRunTime":"2026-01-01T00:00:00Z"}';
    expect(c.check(req('POST', '/v1/projects/p/transferConfigs/c:startManualRuns', { headers: h, body })).problems).toEqual([]);
    expect(c.check(req('POST', '/v1/projects/p/locations/eu/transferConfigs/c:startManualRuns', { headers: h, body })).problems).toEqual([]);
    expect(c.check(req('POST', '/v1/projects/p/locations/eu/transferConfigs/c:startManualRuns', { headers: h, body: '{"requestedRunTime":"now"}' })).problems).toEqual([expect.stringContaining('not an RFC 3339 timestamp')]);
    expect(c.check(req('GET', '/v1/projects/p/locations/eu/transferConfigs/c/runs', { headers: h, query: 'pageSize=1000&states=DONE' })).problems).toEqual([expect.stringContaining('not one of')]);
    expect(c.check(req('GET', '/v1/transferConfigs/c/runs/r', { headers: h })).problems).toEqual([expect.stringContaining('no operation')]);
    c.take();
  });

  it('refuses a Fivetran POST without Content-Type application/json, body or not (its 415)', () => {
    const c = checker(fivetranFacts);
    const auth = { authorization: 'Basic a2V5OnNlY3JldA==' };
    const sync = '/v1/connections/abc/sync';
    expect(c.check(req('POST', sync, { headers: { ...auth, 'content-type': 'application/json' }, body: '{"force":false}' })).problems).toEqual([]);
    expect(c.check(req('POST', sync, { headers: { ...auth, 'content-type': 'application/json; charset=utf-8' } })).problems).toEqual([]);
    expect(c.check(req('POST', sync, { headers: auth })).problems).toEqual([expect.stringContaining('missing header Content-Type')]);
    expect(c.check(req('POST', sync, { headers: { ...auth, 'content-type': 'text/plain' }, body: '{"force":false}' })).problems).toEqual(expect.arrayContaining([expect.stringContaining('header Content-Type')]));
    c.take();
  });

  it('takes a Fivetran Accept header in any spelling of the same media type (RFC 9110: OWS around ";", case-insensitive type and parameter name, token or quoted value)', () => {
    const c = checker(fivetranFacts);
    const get = (accept: string) => c.check(req('GET', '/v1/connections/abc', { headers: { authorization: 'Basic a2V5OnNlY3JldA==', accept } })).problems;
    for (const accept of ['application/json;version=2', 'application/json; version=2', 'application/json ; version=2', 'Application/JSON;Version=2', 'application/json;version="2"', 'application/json']) {
      expect(get(accept), accept).toEqual([]);
    }
    expect(get('application/json;version=3')).toEqual([expect.stringContaining('header Accept')]);
    expect(get('text/html')).toEqual([expect.stringContaining('header Accept')]);
    c.take();
  });

  it('checks the status a fake answers with: one the operation does not list is refused, unless it is a 5xx, one any call may get, or not the vendor\'s answer', () => {
    const c = checker(lookerFacts);
    const h = { authorization: 'token abc', 'content-type': 'application/json' };
    const addGroupUser = c.check(req('POST', '/api/4.0/groups/10/users', { headers: h, body: '{"user_id":"7"}' }));
    expect(addGroupUser.problems).toEqual([]);
    // add_group_user lists 200, 400, 403, 404 and 429 (and 401 for a token): a 422 is not Looker's answer there.
    c.answered(addGroupUser, 422, { vendorBody: true });
    expect(c.take()).toEqual([expect.stringContaining('add_group_user: the fake answered 422')]);
    for (const status of [200, 403, 404, 429, 401]) c.answered(addGroupUser, status, { vendorBody: true });
    // Any server can fail, and a proxy's page in front of Looker may carry any status.
    for (const status of [500, 502, 503]) c.answered(addGroupUser, status, { vendorBody: true });
    for (const status of [422, 409, 200, 502]) c.answered(addGroupUser, status, { vendorBody: false });
    expect(c.take()).toEqual([]);
    // An answer to a request already refused (or matching no operation) is not judged again.
    c.answered(c.check(req('POST', '/api/4.0/groups/10/users', { headers: h, body: '{}' })), 422, { vendorBody: true });
    c.answered(c.check(req('GET', '/api/4.0/users/1', { headers: h })), 418, { vendorBody: true });
    expect(c.take()).toHaveLength(2);

    // A status the vendor documents for every call (Fivetran's 429) needs no listing per operation; one for some operations only does.
    const f = checker(fivetranFacts);
    const details = f.check(req('GET', '/v1/connections/abc', { headers: { authorization: 'Basic a2V5OnNlY3JldA==' } }));
    f.answered(details, 429, { vendorBody: true });
    f.answered(details, 403, { vendorBody: true });
    expect(f.take()).toEqual([]);
    f.answered(details, 409, { vendorBody: true });
    f.answered(details, 400, { vendorBody: true });
    expect(f.take()).toEqual([expect.stringContaining('connection_details: the fake answered 409'), expect.stringContaining('connection_details: the fake answered 400')]);

    // BigQuery's rate limits are 403s (its pages) or 429s (Google Cloud's quota page), on any call; a 409 is jobs.insert's only.
    const b = checker(bigQueryFacts);
    const table = b.check(req('GET', '/bigquery/v2/projects/p/datasets/d/tables/t', { headers: { authorization: 'Bearer t' } }));
    b.answered(table, 403, { vendorBody: true });
    b.answered(table, 429, { vendorBody: true });
    expect(b.take()).toEqual([]);
    b.answered(table, 409, { vendorBody: true });
    expect(b.take()).toEqual([expect.stringContaining('bigquery.tables.get: the fake answered 409')]);

    // OpenAPI's class keys ('4XX') and 'default' cover what they say.
    const op = (id: string, path: string, responses: Record<string, string>) => ({ id, method: 'GET' as const, path, auth: { scheme: 'none' as const }, responses, source: 'test' });
    const w = checker({ vendor: 'Wildcards', sources: [], errorShape: 'none', operations: [op('classed', '/a', { '200': 'ok', '4XX': 'any client error' }), op('open', '/b', { '200': 'ok', default: 'anything else' })] });
    const classed = w.check(req('GET', '/a'));
    const open = w.check(req('GET', '/b'));
    w.answered(classed, 418, { vendorBody: true });
    w.answered(open, 302, { vendorBody: true });
    expect(w.take()).toEqual([]);
    w.answered(classed, 302, { vendorBody: true });
    expect(w.take()).toEqual([expect.stringContaining('classed: the fake answered 302')]);
  });

  it('takes int64 fields as decimal strings or numbers, as Google does', () => {
    const c = checker(bigQueryFacts);
    const h = { authorization: 'Bearer t', 'content-type': 'application/json' };
    const job = (extra: object) => JSON.stringify({ jobReference: { jobId: 'analytics_bot_1' }, configuration: { query: { query: 'SELECT 1', useLegacySql: false, maximumBytesBilled: '10' }, ...extra } });
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ jobTimeoutMs: 7000 }) })).problems).toEqual([]);
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ jobTimeoutMs: '7000' }) })).problems).toEqual([]);
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ jobTimeoutMs: '7s' }) })).problems).toEqual([expect.stringContaining('jobTimeoutMs: expected an integer')]);
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ labels: { command: 'x', user_id: 'u1' } }) })).problems).toEqual([]);
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ labels: { Command: 'x' } }) })).problems).toEqual([expect.stringContaining('key "Command"')]);
    expect(c.check(req('POST', '/bigquery/v2/projects/p/jobs', { headers: h, body: job({ labels: { command: 'Telemetry' } }) })).problems).toEqual([expect.stringContaining('labels.command')]);
    c.take();
  });
});

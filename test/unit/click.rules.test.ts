/**
 * Where a click came from, as the Slack payload says it: whether its answer may replace or
 * remove the message clicked in (only the clicker's private one), see src/slack/click.ts.
 */
import { describe, expect, it } from 'vitest';
import { clickedInEphemeral } from '../../src/slack/click.js';

const body = (fields: Record<string, unknown>) => fields as never;

describe('a click in an ephemeral message', () => {
  it('is one when Slack says the container is ephemeral, and is not when Slack says it is not', () => {
    expect(clickedInEphemeral(body({ container: { type: 'message', message_ts: '1.2', channel_id: 'C1', is_ephemeral: true } }))).toBe(true);
    expect(clickedInEphemeral(body({ container: { type: 'message', message_ts: '1.2', channel_id: 'C1', is_ephemeral: false } }))).toBe(false);
    // Said false, with no message: Slack's word stands.
    expect(clickedInEphemeral(body({ container: { type: 'message', is_ephemeral: false } }))).toBe(false);
  });

  it('is one, where the payload leaves is_ephemeral out, when it carries no message (Slack sends none for an ephemeral one)', () => {
    expect(clickedInEphemeral(body({ container: { type: 'message', message_ts: '1.2', channel_id: 'C1' } }))).toBe(true);
    expect(clickedInEphemeral(body({ container: { type: 'message', message_ts: '1.2' }, message: { ts: '1.2', text: 'x' } }))).toBe(false);
  });

  it('is not one in a modal or App Home, nor without a container', () => {
    expect(clickedInEphemeral(body({ container: { type: 'view', view_id: 'V1' } }))).toBe(false);
    expect(clickedInEphemeral(body({}))).toBe(false);
    expect(clickedInEphemeral(body({ container: { type: 'message', is_ephemeral: 'true' } }))).toBe(false);
  });
});

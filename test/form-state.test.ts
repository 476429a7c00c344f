import { describe, expect, it } from 'vitest';
import { findFormInput, formBlockIds, formInput } from '../src/slack/form-state.js';

describe('reading a submitted form', () => {
  // As Slack sends them (api.slack.com/reference/interaction-payloads/views, view.state.values).
  const state = {
    values: {
      who: { user: { type: 'users_select', selected_user: 'U0RILEY' } },
      where: { channel: { type: 'conversations_select', selected_conversation: 'C0ANALYTIC' } },
      how: { kind: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Daily' }, value: 'daily' } } },
      when: { time: { type: 'timepicker', selected_time: '09:30' }, day: { type: 'datepicker', selected_date: '2026-12-04' } },
      tick: { dm: { type: 'checkboxes', selected_options: [{ value: 'dm' }, { value: 'later' }] } },
      note: { text: { type: 'plain_text_input', value: 'hello' } },
      'email.U0RILEY': { email: { type: 'email_text_input', value: 'riley@example.com' } },
    },
  };

  it('reads each kind of input Slack sends', () => {
    expect(formInput(state, 'who', 'user')).toEqual({ user: 'U0RILEY', options: [] });
    expect(formInput(state, 'where', 'channel')).toEqual({ conversation: 'C0ANALYTIC', options: [] });
    expect(formInput(state, 'how', 'kind')).toEqual({ option: 'daily', options: [] });
    expect(formInput(state, 'when', 'time')).toEqual({ time: '09:30', options: [] });
    expect(formInput(state, 'when', 'day')).toEqual({ date: '2026-12-04', options: [] });
    expect(formInput(state, 'tick', 'dm')).toEqual({ options: ['dm', 'later'] });
    expect(formInput(state, 'note', 'text')).toEqual({ text: 'hello', options: [] });
  });

  it('finds an input wherever its block is, with the block', () => {
    expect(findFormInput(state, 'email')).toEqual({ block: 'email.U0RILEY', input: { text: 'riley@example.com', options: [] } });
    expect(findFormInput(state, 'nowhere')).toBeUndefined();
    expect(formBlockIds(state)).toEqual(['who', 'where', 'how', 'when', 'tick', 'note', 'email.U0RILEY']);
  });

  it('answers "nothing given" for what a malformed or forged submission carries, and never throws', () => {
    const empty = { options: [] };
    for (const bad of [undefined, null, 'x', 42, [], { values: null }, { values: [] }, { values: 'x' }]) {
      expect(formInput(bad, 'note', 'text')).toEqual(empty);
      expect(findFormInput(bad, 'text')).toBeUndefined();
      expect(formBlockIds(bad)).toEqual([]);
    }
    const forged = {
      values: {
        nullBlock: null,
        listBlock: [{ text: { value: 'x' } }],
        note: { text: null, number: { value: 42 }, object: { value: { $gt: '' } }, list: ['a'] },
        how: { kind: { selected_option: 'daily' }, nullOption: { selected_option: null }, numeric: { selected_option: { value: 7 } } },
        tick: { notList: { selected_options: 'dm' }, mixed: { selected_options: [null, 'dm', { value: 1 }, { value: 'dm' }] } },
        who: { user: { selected_user: ['U0RILEY'] }, time: { selected_time: 930 } },
      },
    };
    expect(formInput(forged, 'nullBlock', 'text')).toEqual(empty);
    expect(formInput(forged, 'listBlock', '0')).toEqual(empty);
    for (const action of ['text', 'number', 'object', 'list']) expect(formInput(forged, 'note', action)).toEqual(empty);
    for (const action of ['kind', 'nullOption', 'numeric']) expect(formInput(forged, 'how', action)).toEqual(empty);
    expect(formInput(forged, 'tick', 'notList')).toEqual(empty);
    expect(formInput(forged, 'tick', 'mixed')).toEqual({ options: ['dm'] });
    expect(formInput(forged, 'who', 'user')).toEqual(empty);
    expect(formInput(forged, 'who', 'time')).toEqual(empty);
    // A block that is not an object holds no input to find; the first block that holds it as an object is the one.
    expect(findFormInput(forged, '0')).toBeUndefined();
    expect(findFormInput(forged, 'number')).toEqual({ block: 'note', input: empty });
  });
});

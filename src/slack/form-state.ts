/**
 * Reading a submitted form: `view.state.values`, block ID → action ID → what
 * that input holds (api.slack.com/reference/interaction-payloads/views,
 * "view.state.values"). A submission may be malformed or forged (no state, a
 * block that is null, a value that is a number or an object): every reader
 * here answers "nothing given" for what it cannot read and never throws, so
 * the form gets its own errors instead of a crash before the ack.
 */

/** What one input holds: each field only when it is what Slack sends, text. */
export interface FormInput {
  /** Typed (plain_text_input, and a number or email input). */
  text?: string;
  /** Picked from a select or radio buttons: the option's value. */
  option?: string;
  /** Ticked checkboxes: their values. */
  options: string[];
  /** users_select. */
  user?: string;
  /** conversations_select. */
  conversation?: string;
  /** timepicker, `HH:mm`. */
  time?: string;
  /** datepicker, `YYYY-MM-DD`. */
  date?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function blocksOf(state: unknown): Record<string, unknown> {
  const values = isObject(state) ? state['values'] : undefined;
  return isObject(values) ? values : {};
}

function inputOf(raw: unknown): FormInput {
  if (!isObject(raw)) return { options: [] };
  const ticked = raw['selected_options'];
  const input: FormInput = {
    text: textOf(raw['value']),
    option: isObject(raw['selected_option']) ? textOf(raw['selected_option']['value']) : undefined,
    options: Array.isArray(ticked) ? ticked.flatMap((o: unknown) => (isObject(o) && typeof o['value'] === 'string' ? [o['value']] : [])) : [],
    user: textOf(raw['selected_user']),
    conversation: textOf(raw['selected_conversation']),
    time: textOf(raw['selected_time']),
    date: textOf(raw['selected_date']),
  };
  // Only what is there: an absent field is absent, not undefined (exactOptionalPropertyTypes).
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as unknown as FormInput;
}

/** The input `action` in `block` of a form's `state`: empty when it is missing or not an input. */
export function formInput(state: unknown, block: string, action: string): FormInput {
  const inBlock = blocksOf(state)[block];
  return inputOf(isObject(inBlock) ? inBlock[action] : undefined);
}

/** The input `action` wherever its block is (a block whose ID changes as the form is redrawn), and that block's ID. */
export function findFormInput(state: unknown, action: string): { block: string; input: FormInput } | undefined {
  for (const [block, inBlock] of Object.entries(blocksOf(state))) {
    if (isObject(inBlock) && isObject(inBlock[action])) return { block, input: inputOf(inBlock[action]) };
  }
  return undefined;
}

/** The IDs of the blocks a form's `state` holds inputs in. */
export function formBlockIds(state: unknown): string[] {
  return Object.keys(blocksOf(state));
}

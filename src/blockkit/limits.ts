/**
 * Slack's documented Block Kit limits, and one check of blocks and views
 * against them. Shared by the bot's views (which size their text to fit), the
 * Slack stand-in (which answers `invalid_blocks` / `invalid_arguments` as Slack
 * does, and records the request as a violation in tests), the local page
 * (which bounds inputs) and the tests: the one source of truth for them.
 *
 * Sources, read 2026-11-30:
 * - Slack's Block Kit reference, docs.slack.dev/reference/block-kit (blocks,
 *   block elements, composition objects) and docs.slack.dev/reference/views
 *   (view object); "up to 50 blocks in each message, and 100 blocks in modals
 *   or Home tabs" (docs.slack.dev/reference/block-kit/blocks).
 * - Second witness: slackapi/python-slack-sdk 3.43.0 (commit ae87985e, 2026-08-05),
 *   slack_sdk/models/blocks/{blocks,block_elements,basic_components}.py and
 *   slack_sdk/models/views/__init__.py, whose validators carry the same numbers.
 *
 * Pure and dependency-free: compiled for Node and for the browser alike.
 */

/** Slack's limits (characters, items), as its Block Kit reference gives them. */
export const SLACK_LIMITS = {
  /** Blocks in a message. */
  messageBlocks: 50,
  /** Blocks in a modal (and in a Home tab). */
  modalBlocks: 100,
  homeBlocks: 100,
  /** A section's text. */
  sectionText: 3000,
  /** Fields in a section, and each field's text. */
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  actionId: 255,
  blockId: 255,
  callbackId: 255,
  buttonText: 75,
  /** A button's value. */
  buttonValue: 2000,
  /** A button's or an image's URL. */
  url: 3000,
  /** An option's text and description (every kind of menu, checkboxes and radio buttons alike) and its value. */
  optionText: 75,
  optionValue: 150,
  /** Placeholder of a select menu, date picker or text input. */
  placeholder: 150,
  /** A confirmation dialog's title, text, and its two buttons. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Options of radio buttons and of checkboxes. */
  radioOptions: 10,
  /** Any text object (mrkdwn or plain_text) where no tighter limit is documented. */
  textObject: 3000,
  /** Options in a select or an overflow menu (overflow: at most 5). */
  selectOptions: 100,
  overflowOptions: 5,
  contextElements: 10,
  actionsElements: 25,
  imageAltText: 2000,
  imageUrl: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  /** What a plain_text_input accepts at most (its max_length can only lower it). */
  plainTextInput: 3000,
  /** Title, submit and close labels of a modal. */
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  /** A view's external_id. */
  externalId: 255,
  /** Modals stacked on top of each other (views.push). */
  modalStack: 3,
  /** A view's JSON, in bytes: views.* answer `view_too_large` past it ("greater than 250kb"). */
  viewBytes: 250_000,
  /** A message's top-level `text`: chat.postMessage truncates longer text. */
  messageText: 40_000,
  /** chat.update refuses a `text` longer than this (`msg_too_long`). */
  updateText: 4_000,
} as const;

/** The surface blocks are shown on: it decides how many blocks are allowed. */
export type Surface = 'message' | 'modal' | 'home';

/** One way blocks break Slack's rules: where (a JSON pointer) and what. */
export interface BlockKitProblem {
  /** JSON pointer into what was checked, e.g. `/blocks/2/text` or `/view/title`. */
  pointer: string;
  message: string;
}

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const textLen = (t: unknown): number => (isObj(t) && typeof t['text'] === 'string' ? t['text'].length : 0);

/** Most blocks allowed on a surface. */
export function maxBlocks(surface: Surface): number {
  return surface === 'message' ? SLACK_LIMITS.messageBlocks : surface === 'modal' ? SLACK_LIMITS.modalBlocks : SLACK_LIMITS.homeBlocks;
}

/**
 * Checks blocks against the limits a real workspace enforces (what it rejects
 * with `invalid_blocks`), so that what passes here is what Slack accepts.
 * Returns every problem found; empty when the blocks are fine.
 */
export function blockKitProblems(blocks: readonly unknown[], surface: Surface = 'message', base = '/blocks'): BlockKitProblem[] {
  const problems: BlockKitProblem[] = [];
  const add = (message: string, path: string) => problems.push({ pointer: `${base}${path}`, message });
  const max = maxBlocks(surface);
  if (blocks.length > max) add(`must be less than ${max + 1} items`, '');
  const blockIds = new Set<string>();

  blocks.forEach((b, i) => {
    const at = `/${i}`;
    if (!isObj(b) || typeof b['type'] !== 'string') return add('must provide an object with a type', at);
    const id = b['block_id'];
    if (typeof id === 'string') {
      if (blockIds.has(id)) add(`duplicate block_id ${id}`, `${at}/block_id`);
      if (id.length > SLACK_LIMITS.blockId) add(`must be less than ${SLACK_LIMITS.blockId + 1} characters`, `${at}/block_id`);
      blockIds.add(id);
    }
    const actionIds = new Set<string>();
    const element = (el: unknown, path: string) => {
      if (!isObj(el)) return;
      const type = typeof el['type'] === 'string' ? el['type'] : '';
      const actionId = el['action_id'];
      if (typeof actionId === 'string') {
        if (actionIds.has(actionId)) add(`duplicate action_id ${actionId}`, `${path}/action_id`);
        if (actionId.length > SLACK_LIMITS.actionId) add(`must be less than ${SLACK_LIMITS.actionId + 1} characters`, `${path}/action_id`);
        actionIds.add(actionId);
      }
      if (type === 'button') {
        const n = textLen(el['text']);
        if (n === 0 || n > SLACK_LIMITS.buttonText) add(`button text must be 1-${SLACK_LIMITS.buttonText} characters`, `${path}/text`);
        if (typeof el['value'] === 'string' && el['value'].length > SLACK_LIMITS.buttonValue) add(`must be less than ${SLACK_LIMITS.buttonValue + 1} characters`, `${path}/value`);
        if (typeof el['url'] === 'string' && el['url'].length > SLACK_LIMITS.url) add(`must be less than ${SLACK_LIMITS.url + 1} characters`, `${path}/url`);
      }
      if (el['placeholder'] !== undefined && textLen(el['placeholder']) > SLACK_LIMITS.placeholder) add(`must be less than ${SLACK_LIMITS.placeholder + 1} characters`, `${path}/placeholder`);
      if (el['confirm'] !== undefined) confirm(el['confirm'], `${path}/confirm`);
      const groups = asArray(el['option_groups']);
      const options = [...asArray(el['options']), ...groups.flatMap((g) => (isObj(g) ? asArray(g['options']) : []))];
      const maxOptions = type === 'overflow' ? SLACK_LIMITS.overflowOptions : type === 'radio_buttons' || type === 'checkboxes' ? SLACK_LIMITS.radioOptions : SLACK_LIMITS.selectOptions;
      if (options.length > maxOptions) add(`must be less than ${maxOptions + 1} items`, `${path}/options`);
      // The option object: text and description at most 75 characters, value at most 150, in every kind of menu.
      asArray(el['options']).forEach((o, j) => option(o, `${path}/options/${j}`));
      groups.forEach((g, j) => asArray(isObj(g) ? g['options'] : []).forEach((o, k) => option(o, `${path}/option_groups/${j}/options/${k}`)));
      if (type === 'plain_text_input') {
        for (const key of ['max_length', 'min_length']) {
          const n = el[key];
          if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > SLACK_LIMITS.plainTextInput)) add(`must be an integer from 0 to ${SLACK_LIMITS.plainTextInput}`, `${path}/${key}`);
        }
      }
      if (type === 'number_input' && typeof el['is_decimal_allowed'] !== 'boolean') add('is_decimal_allowed is required', `${path}/is_decimal_allowed`);
      if (type === 'datepicker' && el['initial_date'] !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(el['initial_date']))) add('must be YYYY-MM-DD', `${path}/initial_date`);
    };
    const option = (o: unknown, path: string) => {
      if (!isObj(o)) return add('must provide an object', path);
      const n = textLen(o['text']);
      if (n === 0 || n > SLACK_LIMITS.optionText) add(`must be less than ${SLACK_LIMITS.optionText + 1} characters`, `${path}/text`);
      if (o['description'] !== undefined && textLen(o['description']) > SLACK_LIMITS.optionText) add(`must be less than ${SLACK_LIMITS.optionText + 1} characters`, `${path}/description`);
      if (typeof o['value'] !== 'string' || o['value'].length > SLACK_LIMITS.optionValue) add(`must be a string of at most ${SLACK_LIMITS.optionValue} characters`, `${path}/value`);
    };
    const confirm = (c: unknown, path: string) => {
      if (!isObj(c)) return add('must provide an object', path);
      const limits: Array<[string, number]> = [['title', SLACK_LIMITS.confirmTitle], ['text', SLACK_LIMITS.confirmText], ['confirm', SLACK_LIMITS.confirmButton], ['deny', SLACK_LIMITS.confirmButton]];
      for (const [key, max] of limits) {
        const n = textLen(c[key]);
        if (n === 0 || n > max) add(`${key} must be 1-${max} characters`, `${path}/${key}`);
      }
    };
    /** A text object anywhere else: at most 3000 characters, of a known type. */
    const text = (t: unknown, path: string) => {
      if (!isObj(t)) return;
      if (t['type'] !== 'mrkdwn' && t['type'] !== 'plain_text') add('must be mrkdwn or plain_text', `${path}/type`);
      if (textLen(t) > SLACK_LIMITS.textObject) add(`must be less than ${SLACK_LIMITS.textObject + 1} characters`, `${path}/text`);
    };

    switch (b['type']) {
      case 'section': {
        const fields = asArray(b['fields']);
        if (b['text'] === undefined && fields.length === 0) add('must provide text or fields', at);
        if (b['text'] !== undefined) {
          const n = textLen(b['text']);
          if (n === 0 || n > SLACK_LIMITS.sectionText) add(`text must be 1-${SLACK_LIMITS.sectionText} characters`, `${at}/text`);
        }
        if (fields.length > SLACK_LIMITS.fields) add(`must be less than ${SLACK_LIMITS.fields + 1} items`, `${at}/fields`);
        fields.forEach((f, j) => {
          if (textLen(f) > SLACK_LIMITS.fieldText) add(`must be less than ${SLACK_LIMITS.fieldText + 1} characters`, `${at}/fields/${j}`);
        });
        element(b['accessory'], `${at}/accessory`);
        break;
      }
      case 'header': {
        if (!isObj(b['text']) || b['text']['type'] !== 'plain_text') add('must be a plain_text object', `${at}/text`);
        const n = textLen(b['text']);
        if (n === 0 || n > SLACK_LIMITS.headerText) add(`text must be 1-${SLACK_LIMITS.headerText} characters`, `${at}/text`);
        break;
      }
      case 'actions': {
        const elements = asArray(b['elements']);
        if (elements.length === 0 || elements.length > SLACK_LIMITS.actionsElements) add(`must have 1-${SLACK_LIMITS.actionsElements} elements`, `${at}/elements`);
        elements.forEach((el, j) => element(el, `${at}/elements/${j}`));
        break;
      }
      case 'context': {
        const elements = asArray(b['elements']);
        if (elements.length === 0 || elements.length > SLACK_LIMITS.contextElements) add(`must have 1-${SLACK_LIMITS.contextElements} elements`, `${at}/elements`);
        elements.forEach((el, j) => {
          if (isObj(el) && el['type'] !== 'image') text(el, `${at}/elements/${j}`);
        });
        break;
      }
      case 'image':
        if (!b['image_url'] && !b['slack_file']) add('must provide image_url or slack_file', at);
        if (!b['alt_text']) add('must provide alt_text', `${at}/alt_text`);
        else if (typeof b['alt_text'] === 'string' && b['alt_text'].length > SLACK_LIMITS.imageAltText) add(`must be less than ${SLACK_LIMITS.imageAltText + 1} characters`, `${at}/alt_text`);
        if (typeof b['image_url'] === 'string' && b['image_url'].length > SLACK_LIMITS.imageUrl) add(`must be less than ${SLACK_LIMITS.imageUrl + 1} characters`, `${at}/image_url`);
        break;
      case 'input':
        if (!isObj(b['label']) || textLen(b['label']) === 0) add('must provide a label', `${at}/label`);
        else if (textLen(b['label']) > SLACK_LIMITS.inputLabel) add(`must be less than ${SLACK_LIMITS.inputLabel + 1} characters`, `${at}/label`);
        if (textLen(b['hint']) > SLACK_LIMITS.inputHint) add(`must be less than ${SLACK_LIMITS.inputHint + 1} characters`, `${at}/hint`);
        if (!isObj(b['element'])) add('must provide an element', `${at}/element`);
        element(b['element'], `${at}/element`);
        break;
    }
  });
  return problems;
}

/**
 * Checks a view (`views.open`, `.push`, `.update`, `.publish`, a
 * `response_action` view) as Slack does; pointers start at `/view`.
 */
export function viewProblems(view: unknown): BlockKitProblem[] {
  if (!isObj(view)) return [{ pointer: '/view', message: 'must provide an object' }];
  const problems: BlockKitProblem[] = [];
  const add = (message: string, path: string) => problems.push({ pointer: `/view${path}`, message });
  const blocks = asArray(view['blocks']);
  if (view['type'] !== 'modal' && view['type'] !== 'home') add('must be modal or home', '/type');
  if (view['type'] === 'modal') {
    const n = textLen(view['title']);
    if (n === 0 || n > SLACK_LIMITS.modalTitle) add(`title must be 1-${SLACK_LIMITS.modalTitle} characters`, '/title');
    for (const key of ['submit', 'close']) {
      if (view[key] !== undefined && view[key] !== null && textLen(view[key]) > SLACK_LIMITS.modalButton) add(`must be less than ${SLACK_LIMITS.modalButton + 1} characters`, `/${key}`);
    }
    if (!view['submit'] && blocks.some((b) => isObj(b) && b['type'] === 'input')) add('submit is required when blocks contain input blocks', '/submit');
  }
  if (typeof view['private_metadata'] === 'string' && view['private_metadata'].length > SLACK_LIMITS.privateMetadata) {
    add(`must be less than ${SLACK_LIMITS.privateMetadata + 1} characters`, '/private_metadata');
  }
  if (typeof view['callback_id'] === 'string' && view['callback_id'].length > SLACK_LIMITS.callbackId) {
    add(`must be less than ${SLACK_LIMITS.callbackId + 1} characters`, '/callback_id');
  }
  if (typeof view['external_id'] === 'string' && view['external_id'].length > SLACK_LIMITS.externalId) {
    add(`must be less than ${SLACK_LIMITS.externalId + 1} characters`, '/external_id');
  }
  const surface: Surface = view['type'] === 'home' ? 'home' : 'modal';
  return [...problems, ...blockKitProblems(blocks, surface, '/view/blocks')];
}

/** Slack's wording of a problem in `response_metadata.messages`. */
export function formatProblem(p: BlockKitProblem): string {
  return `[ERROR] ${p.message} [json-pointer:${p.pointer}]`;
}

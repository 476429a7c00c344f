/**
 * Views: each user's modal stack and Home tab, trigger IDs (Slack's 3-second,
 * use-once rule), and how a view and its `state.values` look to the bot.
 */
import { randomBytes } from 'node:crypto';
import { formatProblem, SLACK_LIMITS, viewProblems } from '../blockkit/limits.js';
import { decodeTriggerId } from './bot-client.js';
import { ApiError, asArray, isObj, optStr, randomId } from './http.js';
import type { Loose, StoredView } from './types.js';
import { withBlockIds, type Workspace } from './workspace.js';

const TRIGGER_TTL_MS = 3_000;

/** Form values sent by a user: action_id → a text value, an option value, or several. */
export type FormValues = Record<string, string | string[]>;

export class ViewStore {
  private readonly byId = new Map<string, StoredView>();
  private readonly modalStacks = new Map<string, string[]>();
  private readonly homeViews = new Map<string, string>();
  private readonly usedTriggers = new Set<string>();

  constructor(private readonly ws: Workspace) {}

  reset(): void {
    this.byId.clear();
    this.modalStacks.clear();
    this.homeViews.clear();
    this.usedTriggers.clear();
  }

  view(viewId: string): StoredView | undefined {
    return this.byId.get(viewId);
  }

  /** The modal stack open for a user, bottom first. */
  modals(userId: string): StoredView[] {
    return (this.modalStacks.get(userId) ?? []).flatMap((id) => this.byId.get(id) ?? []);
  }

  homeView(userId: string): StoredView | undefined {
    const id = this.homeViews.get(userId);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /**
   * An open view by `view_id`, or by `external_id` (exactly one of them); Slack's
   * `not_found` otherwise, as for a modal the user has closed (bolt-js#1309).
   */
  find(a: Loose): StoredView {
    const id = optStr(a['view_id']);
    const externalId = optStr(a['external_id']);
    if (id && externalId) throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] exactly one of view_id and external_id is allowed'] } });
    const view = id ? this.byId.get(id) : [...this.byId.values()].find((v) => externalId && v.external_id === externalId);
    if (!view || !this.isOpen(view)) throw new ApiError('not_found');
    return view;
  }

  /** On its user's modal stack, or their Home tab now. */
  private isOpen(view: StoredView): boolean {
    return this.homeViews.get(view.user) === view.id || (this.modalStacks.get(view.user) ?? []).includes(view.id);
  }

  /** Uses up a trigger ID as Slack does and answers whose it is, and the view it was clicked in (if any). */
  exchangeTrigger(triggerId: unknown): { userId: string; fromViewId?: string } {
    if (typeof triggerId !== 'string' || !triggerId) throw new ApiError('invalid_arguments');
    const decoded = decodeTriggerId(triggerId);
    if (!decoded || !this.ws.user(decoded.userId)) throw new ApiError('invalid_trigger_id');
    if (this.usedTriggers.has(triggerId)) throw new ApiError('exchanged_trigger_id');
    if (Date.now() - decoded.issuedAtMs > TRIGGER_TTL_MS) throw new ApiError('expired_trigger_id');
    this.usedTriggers.add(triggerId);
    return { userId: decoded.userId, ...(decoded.fromViewId ? { fromViewId: decoded.fromViewId } : {}) };
  }

  /**
   * views.push: on top of the modal the click was in, which must be the one the user sees
   * (the top of their stack). A trigger from a message, a command or App Home has no modal
   * to push onto: Slack's `not_found` ("the requested view can't be found").
   */
  pushFrom(spec: Loose, trigger: { userId: string; fromViewId?: string }): StoredView {
    const top = (this.modalStacks.get(trigger.userId) ?? []).at(-1);
    if (!top || trigger.fromViewId !== top) throw new ApiError('not_found');
    return this.push(spec, trigger.userId);
  }

  /** The `view` argument of views.*, checked as Slack checks it. */
  viewArg(a: Loose): Loose {
    const view = a['view'];
    if (!isObj(view)) throw new ApiError('invalid_arguments');
    if (Buffer.byteLength(JSON.stringify(view)) > SLACK_LIMITS.viewBytes) throw new ApiError('view_too_large');
    const errors = viewProblems(view).map(formatProblem);
    if (errors.length) throw new ApiError('invalid_arguments', { response_metadata: { messages: errors } });
    return view;
  }

  /** Opens a modal as the only one in the user's stack (views.open). */
  open(spec: Loose, user: string): StoredView {
    const view = this.create(spec, user);
    this.modalStacks.set(user, [view.id]);
    return view;
  }

  /** Pushes a modal on the user's stack (views.push, `response_action: push`). */
  push(spec: Loose, user: string): StoredView {
    const stack = this.modalStacks.get(user) ?? [];
    if (stack.length >= SLACK_LIMITS.modalStack) throw new ApiError('push_limit_reached');
    const top = stack.at(-1);
    const view = this.create(spec, user, top ? this.byId.get(top)?.root_view_id : undefined, top ?? null);
    this.modalStacks.set(user, [...stack, view.id]);
    return view;
  }

  /** Publishes a user's Home tab, replacing the one they had. */
  publish(spec: Loose, user: string): StoredView {
    const existing = this.homeView(user);
    const view = existing ? this.replace(existing, spec) : this.create(spec, user);
    this.homeViews.set(user, view.id);
    return view;
  }

  /** Replaces a view's content in place: same ID, new hash, what the user typed is kept. */
  replace(view: StoredView, spec: Loose): StoredView {
    const fresh = this.build(spec, view.id, view.user, view.root_view_id, view.previous_view_id);
    const state = view.state;
    for (const key of Object.keys(view)) delete view[key];
    Object.assign(view, fresh, { state });
    this.ws.changed({ kind: 'view', viewId: view.id });
    return view;
  }

  /** Takes a view off its user's stack; `all` closes the whole stack. */
  close(view: StoredView, options: { all?: boolean } = {}): void {
    const stack = this.modalStacks.get(view.user) ?? [];
    if (options.all) stack.length = 0;
    else if (stack.includes(view.id)) stack.splice(stack.indexOf(view.id), 1);
    this.ws.changed({ kind: 'view', viewId: view.id });
  }

  /** A view as the Web API and payloads show it. */
  publicView(view: StoredView): Loose & { id: string } {
    const { user: _user, ...rest } = view;
    return rest;
  }

  private create(spec: Loose, user: string, rootId?: string, previousId: string | null = null): StoredView {
    const id = randomId('V');
    const view = this.build(spec, id, user, rootId ?? id, previousId);
    this.byId.set(id, view);
    this.ws.changed({ kind: 'view', viewId: id });
    return view;
  }

  private build(spec: Loose, id: string, user: string, rootId: string, previousId: string | null): StoredView {
    const ws = this.ws;
    return {
      team_id: ws.teamId, app_id: ws.appId, bot_id: ws.botId, app_installed_team_id: ws.teamId,
      close: null, submit: null, clear_on_close: false, notify_on_close: false,
      ...spec, id, type: String(spec['type']), user,
      blocks: withBlockIds(asArray(spec['blocks'])),
      callback_id: optStr(spec['callback_id']) ?? '',
      private_metadata: optStr(spec['private_metadata']) ?? '',
      external_id: optStr(spec['external_id']) ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      root_view_id: rootId,
      previous_view_id: previousId,
    };
  }
}

/** Finds an interactive element by action_id in actions, section accessories and inputs. */
export function findElement(blocks: unknown[], actionId: string, inBlock?: string): { element: Loose; blockId: string } | undefined {
  for (const b of blocks) {
    if (!isObj(b)) continue;
    // Several blocks may hold the same action_id (a list's Delete buttons): the click names its block, as Slack's payload does.
    if (inBlock !== undefined && b['block_id'] !== inBlock) continue;
    const candidates = [...asArray(b['elements']), b['accessory'], b['element']];
    const element = candidates.find((el): el is Loose => isObj(el) && el['action_id'] === actionId);
    if (element) return { element, blockId: optStr(b['block_id']) ?? '' };
  }
  return undefined;
}

/** Builds `view.state.values` as Slack does: every input appears, unset ones with null values. */
/** What an element shows before anyone touches it: its initial_* field, as a form value. */
function initialValue(el: Record<string, unknown>): string | string[] | undefined {
  const optionValue = (o: unknown) => (isObj(o) ? optStr(o['value']) : undefined);
  if (isObj(el['initial_option'])) return optionValue(el['initial_option']);
  if (Array.isArray(el['initial_options'])) return el['initial_options'].map(optionValue).filter((v): v is string => v !== undefined);
  for (const key of ['initial_value', 'initial_date', 'initial_time', 'initial_user', 'initial_conversation', 'initial_channel']) {
    const v = optStr(el[key]);
    if (v !== undefined) return v;
  }
  for (const key of ['initial_users', 'initial_conversations', 'initial_channels']) {
    if (Array.isArray(el[key])) return (el[key] as unknown[]).filter((v): v is string => typeof v === 'string');
  }
  return undefined;
}

export function stateValues(blocks: unknown[], values: FormValues): Record<string, Record<string, unknown>> {
  const state: Record<string, Record<string, unknown>> = {};
  for (const b of blocks) {
    if (!isObj(b) || b['type'] !== 'input' || !isObj(b['element'])) continue;
    const el = b['element'];
    const actionId = optStr(el['action_id']) ?? '';
    const type = String(el['type']);
    // As in Slack, a field the user did not touch submits what it was drawn with.
    const given = values[actionId] ?? initialValue(el);
    const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
    const options = asArray(el['options']).filter(isObj);
    const pick = (v: string) => options.find((o) => o['value'] === v) ?? { text: { type: 'plain_text', text: v }, value: v };
    let value: Loose;
    if (type === 'datepicker') value = { selected_date: list[0] ?? null };
    else if (type === 'timepicker') value = { selected_time: list[0] ?? null };
    else if (type === 'checkboxes' || type === 'multi_static_select') value = { selected_options: list.map(pick) };
    else if (type === 'radio_buttons' || type === 'static_select') value = { selected_option: list[0] === undefined ? null : pick(list[0]) };
    else if (type === 'users_select') value = { selected_user: list[0] ?? null };
    else if (type === 'multi_users_select') value = { selected_users: list };
    else if (type === 'conversations_select') value = { selected_conversation: list[0] ?? null };
    else if (type === 'channels_select') value = { selected_channel: list[0] ?? null };
    else value = { value: list[0] ?? null };
    const blockId = optStr(b['block_id']) ?? '';
    state[blockId] = { ...state[blockId], [actionId]: { type, ...value } };
  }
  return state;
}

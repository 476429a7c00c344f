/**
 * Checks what the bot sends Slack against the facts (web-api.ts,
 * messages.ts) and Slack's Block Kit limits (src/blockkit/limits.ts), and
 * says how Slack would answer each problem. Pure: the stand-in records the
 * problems (a test fails on them) and answers as Slack would.
 */
import { blockKitProblems, formatProblem, viewProblems } from '../../blockkit/limits.js';
import type { SlackArgFact, SlackArgType, SlackMethodFact, SpecProblem } from './form.js';
import { commandAckFacts, responseUrlFacts, viewSubmissionAckFacts, type SlackPayloadFact } from './messages.js';
import { methodFact, slackWebApiFacts } from './web-api.js';

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown) => v !== undefined && v !== null && v !== '';
const shown = (v: unknown) => {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

/** The Web API call `method` with `args` (parsed, `token` removed), sent as `contentType`. */
export function checkWebApiCall(method: string, args: Loose, request: { contentType: string }): { fact?: SlackMethodFact; problems: SpecProblem[] } {
  const fact = methodFact(method);
  if (!fact) return { problems: [{ message: `${method}: not a Web API method the Slack facts describe (src/slack-standin/facts/web-api.ts)`, answer: 'unknown_method' }] };
  const problems: SpecProblem[] = [];
  const type = request.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted: readonly string[] = fact.contentTypes;
  if (type && type !== 'multipart/form-data' && !accepted.includes(type)) {
    problems.push({ message: `${method}: sent as ${type}; the reference lists ${fact.contentTypes.join(', ')}`, answer: 'invalid_arguments' });
  }
  const own = Object.fromEntries(Object.entries(args).filter(([key]) => !(key in slackWebApiFacts.anyMethodArgs) || key in fact.args));
  problems.push(...checkFields(method, fact.args, own, fact.oneOf));
  return { fact, problems };
}

/**
 * Whether the bot's scopes allow the call. The reference lists a method's
 * scopes as alternatives by conversation type (`channels:read` for a public
 * channel, `im:read` for a DM, …): a call about one conversation needs that
 * type's; any other call needs one of them. Slack answers `missing_scope`
 * with the scope it `needed` and those `provided`.
 */
export function checkScopes(method: string, args: Loose, granted: ReadonlySet<string>): SpecProblem[] {
  const scopes = methodFact(method)?.botScopes ?? [];
  if (scopes.length === 0) return [];
  const channel = typeof args['channel'] === 'string' ? args['channel'] : '';
  const family = !channel ? undefined : channel.startsWith('D') ? 'im:' : channel.startsWith('G') ? 'groups:' : 'channels:';
  const typed = family ? scopes.filter((s) => s.startsWith(family)) : [];
  const needed = typed.length > 0 ? typed : scopes;
  if (needed.some((s) => granted.has(s))) return [];
  return [{
    message: `${method}: needs the bot scope ${needed.join(' or ')}, which manifest.yml does not grant`,
    answer: 'missing_scope',
    extra: { needed: needed.join(','), provided: [...granted].join(',') },
  }];
}

/** A post to a response_url (Bolt's `respond()`). */
export function checkResponseUrlBody(body: Loose): SpecProblem[] {
  return checkPayload(responseUrlFacts, body, [{ args: ['text', 'blocks', 'attachments', 'delete_original'], error: 'no_text' }]);
}

/** The JSON body of a slash command's ack (Bolt's `ack(…)`); an empty ack is fine. */
export function checkCommandAck(body: Loose): SpecProblem[] {
  return checkPayload(commandAckFacts, body, [{ args: ['text', 'blocks', 'attachments'], error: 'no_text' }]);
}

/** The JSON body of a view_submission's ack, given the view that was submitted. */
export function checkViewSubmissionAck(body: Loose, submitted: { blocks?: unknown }): SpecProblem[] {
  const problems = checkPayload(viewSubmissionAckFacts, body);
  const action = body['response_action'];
  const where = viewSubmissionAckFacts.name;
  if (action === undefined && Object.keys(body).length > 0) problems.push({ message: `${where}: fields without a response_action`, answer: 'invalid_arguments' });
  if ((action === 'update' || action === 'push') && !isObj(body['view'])) problems.push({ message: `${where}: response_action ${String(action)} needs a view`, answer: 'invalid_arguments' });
  if (action === 'errors') {
    const errors = body['errors'];
    const inputs = new Set(
      (Array.isArray(submitted.blocks) ? submitted.blocks : []).flatMap((b) => (isObj(b) && b['type'] === 'input' && typeof b['block_id'] === 'string' ? [b['block_id']] : [])),
    );
    if (!isObj(errors) || Object.keys(errors).length === 0) problems.push({ message: `${where}: response_action errors needs an errors object`, answer: 'invalid_arguments' });
    else {
      for (const [blockId, message] of Object.entries(errors)) {
        if (!inputs.has(blockId)) problems.push({ message: `${where}: errors names "${blockId}", not the block_id of an input block of the view`, answer: 'invalid_arguments' });
        if (typeof message !== 'string' || message === '') problems.push({ message: `${where}: errors.${blockId} must be a non-empty string`, answer: 'invalid_arguments' });
      }
    }
  }
  return problems;
}

function checkPayload(fact: SlackPayloadFact, body: Loose, oneOf?: SlackMethodFact['oneOf']): SpecProblem[] {
  if (Object.keys(body).length === 0) return [];
  return checkFields(fact.name, fact.fields, body, oneOf);
}

function checkFields(where: string, facts: Readonly<Record<string, SlackArgFact>>, args: Loose, oneOf?: SlackMethodFact['oneOf']): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const key of Object.keys(args)) {
    if (key in facts) continue;
    problems.push({ message: `${where}: does not take "${key}" (Slack ignores it; it takes ${Object.keys(facts).join(', ')})` });
  }
  for (const [key, fact] of Object.entries(facts)) {
    if (fact.required && !given(args[key])) problems.push({ message: `${where}: required argument "${key}" is missing`, answer: fact.ifMissing ?? 'invalid_arguments' });
  }
  for (const group of oneOf ?? []) {
    if (!group.args.some((a) => given(args[a]) && !(Array.isArray(args[a]) && (args[a] as unknown[]).length === 0))) {
      problems.push({ message: `${where}: needs one of ${group.args.join(', ')}`, answer: group.error });
    }
  }
  for (const [key, value] of Object.entries(args)) {
    const fact = facts[key];
    if (!fact || value === undefined || value === null) continue;
    problems.push(...checkValue(`${where}: ${key}`, fact, value));
  }
  return problems;
}

/** One argument's value (as a form sends it, or as JSON) against its type. */
function checkValue(where: string, fact: SlackArgFact, value: unknown): SpecProblem[] {
  const invalid = (why: string): SpecProblem[] => [{ message: `${where}: ${shown(value)} ${why}`, answer: fact.ifInvalid ?? 'invalid_arguments' }];
  const t: SlackArgType = fact.type;
  switch (t.kind) {
    case 'string': {
      if (typeof value !== 'string') return invalid('is not a string');
      if (t.enum && !t.enum.includes(value)) return invalid(`is not one of ${t.enum.join(', ')}`);
      if (t.pattern && !t.pattern.test(value)) return invalid(`does not match ${String(t.pattern)}`);
      if (t.maxLength !== undefined && value.length > t.maxLength) return invalid(`is longer than ${t.maxLength} characters (${value.length})`);
      return [];
    }
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isInteger(n)) return invalid('is not an integer');
      if (t.min !== undefined && n < t.min) return invalid(`is below ${t.min}`);
      if (t.max !== undefined && n > t.max) return invalid(`is above ${t.max}`);
      return [];
    }
    case 'boolean':
      return [true, false, 1, 0, 'true', 'false', '1', '0'].includes(value as never) ? [] : invalid('is not true or false');
    case 'ts':
      return (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) || (typeof value === 'number' && value >= 0) ? [] : invalid('is not a Slack timestamp');
    case 'blocks': {
      if (!Array.isArray(value)) return [{ message: `${where}: ${shown(value)} is not a JSON array of blocks`, answer: 'invalid_blocks_format' }];
      const found = blockKitProblems(value, 'message');
      if (found.length === 0) return [];
      const detail = found.map(formatProblem);
      return [{ message: `${where}: Block Kit refuses it:\n    ${detail.join('\n    ')}`, answer: 'invalid_blocks', detail }];
    }
    case 'view': {
      if (!isObj(value)) return invalid('is not a view object');
      const found = viewProblems(value);
      if (found.length === 0) return [];
      const detail = found.map(formatProblem);
      return [{ message: `${where}: Block Kit refuses it:\n    ${detail.join('\n    ')}`, answer: 'invalid_arguments', detail }];
    }
    case 'metadata': {
      if (!isObj(value)) return [{ message: `${where}: ${shown(value)} is not a JSON object`, answer: 'invalid_metadata_format' }];
      if (Object.keys(value).length === 0) return [];
      const ok = typeof value['event_type'] === 'string' && value['event_type'] !== '' && isObj(value['event_payload']);
      const extra = Object.keys(value).filter((k) => k !== 'event_type' && k !== 'event_payload');
      if (!ok || extra.length) return [{ message: `${where}: must be { event_type: string, event_payload: object }${extra.length ? `, not ${extra.join(', ')}` : ''}`, answer: 'invalid_metadata_schema' }];
      return [];
    }
    case 'files': {
      if (!Array.isArray(value) || value.length === 0) return invalid('is not a non-empty array of { id, title? }');
      return value.flatMap((f, i) => {
        if (!isObj(f) || typeof f['id'] !== 'string' || f['id'] === '') return [{ message: `${where}[${i}]: needs an id`, answer: 'invalid_arguments' }];
        const extra = Object.keys(f).filter((k) => k !== 'id' && k !== 'title' && k !== 'highlight_type');
        return extra.length ? [{ message: `${where}[${i}]: does not take ${extra.join(', ')} (Slack ignores it)` }] : [];
      });
    }
    case 'json':
      return [];
  }
}

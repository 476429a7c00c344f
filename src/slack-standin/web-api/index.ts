/**
 * The Web API (`POST /api/<method>`): parses the arguments the ways Slack
 * accepts them, checks the token, checks the call against Slack's documented
 * methods and Block Kit limits (facts/), applies queued faults, runs the
 * method, records the call, runs the `onApplied` hooks, and only then answers.
 *
 * What the facts refuse or ignore is recorded as a violation (a test fails on
 * it; local mode logs it) and answered as Slack would: `invalid_arguments`,
 * `invalid_blocks`, `unknown_method`, … or, for an argument the method does
 * not take, by ignoring it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, optStr, parseArgs, send } from '../http.js';
import { checkScopes, checkWebApiCall } from '../facts/check.js';
import type { SpecProblem } from '../facts/form.js';
import type { Recorder } from '../recorder.js';
import type { CallRecord, Loose } from '../types.js';
import { chatMethods } from './chat.js';
import type { Methods, StandinParts } from './context.js';
import { conversationMethods } from './conversations.js';
import { fileMethods } from './files.js';
import { userMethods } from './users.js';
import { viewMethods } from './views.js';

export type { StandinParts } from './context.js';

export class WebApi {
  private readonly methods: Methods;

  constructor(
    private readonly parts: StandinParts,
    private readonly recorder: Recorder,
  ) {
    this.methods = {
      ...userMethods(parts),
      ...chatMethods(parts),
      ...viewMethods(parts),
      ...fileMethods(parts),
      ...conversationMethods(parts),
    };
  }

  /** The methods the stand-in implements, sorted. */
  get methodNames(): string[] {
    return Object.keys(this.methods).sort();
  }

  async serve(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const record: CallRecord = { method, args: {}, at: Date.now() };
    this.recorder.calls.push(record);
    let status = 200;
    let headers: Record<string, string> = {};
    let body: Loose;
    const contentType = req.headers['content-type'] ?? '';
    const refuse = (problems: SpecProblem[]) => this.recorder.violations.add('Web API', problems);
    try {
      try {
        record.args = await parseArgs(contentType, raw);
      } catch (error) {
        if (error instanceof ApiError) refuse([{ message: `${method}: the arguments could not be read as Slack reads them`, answer: error.code }]);
        throw error;
      }
      // A test may make it a request that never reached Slack (the bot killed as it sent it).
      if (await this.recorder.lost(record)) {
        this.recorder.calls.splice(this.recorder.calls.indexOf(record), 1);
        res.destroy();
        return;
      }
      // A test that holds this call acts now, before Slack has applied it (another call overtakes it).
      await this.recorder.held(method);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const token = bearer ?? optStr(record.args['token']);
      delete record.args['token'];
      const expected = this.parts.ws.expectedToken;
      if (!token) refuse([{ message: `${method}: no token (Authorization: Bearer xoxb-…)`, answer: 'not_authed' }]);
      else if (expected ? token !== expected : !token.startsWith('xoxb-')) refuse([{ message: `${method}: the token is not the bot token`, answer: 'invalid_auth' }]);
      const { problems } = checkWebApiCall(method, record.args, { contentType });
      if (this.parts.ws.scopes) problems.push(...checkScopes(method, record.args, this.parts.ws.scopes));
      refuse(problems);
      const fault = this.recorder.takeFault(method);
      if (fault && 'status' in fault) {
        ({ status, headers } = fault);
        throw new ApiError(status === 429 ? 'ratelimited' : 'internal_error');
      }
      if (!token) throw new ApiError('not_authed');
      if (expected ? token !== expected : !token.startsWith('xoxb-')) throw new ApiError('invalid_auth');
      if (fault) throw new ApiError(fault.error);
      const refusal = problems.find((p) => p.answer);
      if (refusal?.answer) throw new ApiError(refusal.answer, refusalDetail(refusal));
      const handler = this.methods[method];
      if (!handler) {
        refuse([{ message: `${method}: described in the facts, but the stand-in does not implement it`, answer: 'unknown_method' }]);
        throw new ApiError('unknown_method', { req_method: method });
      }
      body = { ok: true, ...(await handler(record.args)) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      body = { ok: false, error: error.code, ...error.extra };
      record.error = status === 200 ? error.code : `http_${status}`;
    }
    record.result = body;
    this.parts.ws.changed({ kind: 'call', method });
    // The call has happened in Slack; a test may act (e.g. kill the bot) before the bot hears of it.
    await this.recorder.applied({ ...record, result: body });
    send(res, status, body, headers);
  }
}

/** Slack's details of a refusal: its own fields, or Block Kit errors as `errors` and `response_metadata.messages`. */
function refusalDetail(p: SpecProblem): Loose {
  if (p.extra) return p.extra;
  if (!p.detail) return {};
  return p.answer === 'invalid_blocks' ? { errors: p.detail, response_metadata: { messages: p.detail } } : { response_metadata: { messages: p.detail } };
}

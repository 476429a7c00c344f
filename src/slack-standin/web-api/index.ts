/**
 * The Web API (`POST /api/<method>`): parses the arguments the ways Slack
 * accepts them, checks the token, applies queued faults, runs the method,
 * records the call, runs the `onApplied` hooks, and only then answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, optStr, parseArgs, send } from '../http.js';
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
    try {
      record.args = await parseArgs(req.headers['content-type'] ?? '', raw);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const token = bearer ?? optStr(record.args['token']);
      delete record.args['token'];
      const fault = this.recorder.takeFault(method);
      if (fault && 'status' in fault) {
        ({ status, headers } = fault);
        throw new ApiError(status === 429 ? 'ratelimited' : 'internal_error');
      }
      if (!token) throw new ApiError('not_authed');
      const expected = this.parts.ws.expectedToken;
      if (expected ? token !== expected : !token.startsWith('xoxb-')) throw new ApiError('invalid_auth');
      if (fault) throw new ApiError(fault.error);
      const handler = this.methods[method];
      if (!handler) throw new ApiError('unknown_method', { req_method: method });
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

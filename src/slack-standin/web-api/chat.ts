/**
 * chat.*: messages the bot posts, updates and deletes, with Slack's checks
 * (membership, Block Kit limits, who may edit what) and message metadata.
 */
import { ApiError, isObj, optStr } from '../http.js';
import type { Loose, MessageMetadata } from '../types.js';
import type { Methods, StandinParts } from './context.js';

/**
 * Slack's `metadata` argument (`{ event_type, event_payload }`, as JSON or a
 * JSON string, already parsed by then): undefined when absent.
 */
export function metadataArg(a: Loose): MessageMetadata | undefined {
  const m = a['metadata'];
  if (m === undefined || m === null || m === '') return undefined;
  if (!isObj(m)) throw new ApiError('invalid_metadata_format');
  const type = m['event_type'];
  const payload = m['event_payload'];
  if (typeof type !== 'string' || type === '' || !isObj(payload)) throw new ApiError('invalid_metadata_schema');
  return { event_type: type, event_payload: payload };
}

export function chatMethods({ ws }: StandinParts): Methods {
  return {
    'chat.postMessage': (a) => {
      // chat:write.public: "Send messages to channels @app isn't a member of" (public ones).
      const channel = ws.resolveChannel(a['channel'], true, { publicPosting: true });
      const content = ws.content(a);
      const metadata = metadataArg(a);
      const msg = ws.addMessage({ channel, ...content, ...ws.threadOf(a), ...(metadata ? { metadata } : {}), via: 'web_api' });
      return { channel, ts: msg.ts, message: ws.publicMessage(msg) };
    },
    'chat.postEphemeral': (a) => {
      const channel = ws.resolveChannel(a['channel'], true);
      const user = optStr(a['user']);
      if (!user || !ws.user(user)) throw new ApiError('user_not_in_channel');
      const msg = ws.addMessage({ channel, ...ws.content(a), ...ws.threadOf(a), ephemeral: { user }, via: 'web_api' });
      return { message_ts: msg.ts };
    },
    'chat.update': (a) => {
      const msg = ws.findMessage(a['channel'], a['ts']);
      if (msg.ephemeral || msg.user !== ws.botUserId) throw new ApiError('cant_update_message');
      const content = ws.content(a);
      const metadata = metadataArg(a);
      // Slack keeps blocks, attachments and metadata that the update leaves out.
      ws.editMessage(msg, content, { keepOmitted: true, ...(metadata ? { metadata } : {}) });
      return { channel: msg.channel, ts: msg.ts, text: msg.text, message: ws.publicMessage(msg) };
    },
    'chat.delete': (a) => {
      const msg = ws.findMessage(a['channel'], a['ts']);
      if (msg.ephemeral || msg.user !== ws.botUserId) throw new ApiError('cant_delete_message');
      ws.removeMessage(msg);
      return { channel: msg.channel, ts: msg.ts };
    },
    'chat.getPermalink': (a) => {
      const msg = ws.findMessage(a['channel'], a['message_ts']);
      const base = `https://${ws.teamDomain}.slack.com/archives/${msg.channel}/p${msg.ts.replace('.', '')}`;
      return { channel: msg.channel, permalink: msg.thread_ts ? `${base}?thread_ts=${msg.thread_ts}&cid=${msg.channel}` : base };
    },
  };
}

/** files.*: the two Web API steps of files.uploadV2 (the bytes go to the upload URL in between). */
import { ApiError, isObj, optStr } from '../http.js';
import { publicFile } from '../workspace.js';
import type { Methods, StandinParts } from './context.js';

export function fileMethods({ ws, files }: StandinParts): Methods {
  return {
    'files.getUploadURLExternal': (a) => {
      const name = optStr(a['filename']);
      const length = Number(a['length']);
      if (!name || !Number.isInteger(length) || length <= 0) throw new ApiError('invalid_arguments');
      return files.reserve(name, length, optStr(a['alt_txt']));
    },
    'files.completeUploadExternal': (a) => {
      const list = Array.isArray(a['files']) ? a['files'] : [];
      if (list.length === 0) throw new ApiError('invalid_arguments');
      const done = list.map((f) => {
        if (!isObj(f)) throw new ApiError('file_not_found');
        return publicFile(files.complete(String(f['id']), optStr(f['title'])));
      });
      const channelId = optStr(a['channel_id']) ?? optStr(a['channels']);
      if (channelId) {
        const channel = ws.resolveChannel(channelId, true);
        // "If the initial_comment field is provided, the blocks field is ignored."
        const blocks = Array.isArray(a['blocks']) && optStr(a['initial_comment']) === undefined ? a['blocks'] : undefined;
        ws.addMessage({ channel, text: optStr(a['initial_comment']) ?? '', ...(blocks ? { blocks } : {}), files: done, ...ws.threadOf(a), via: 'web_api' });
      }
      return { files: done.map((f) => ({ ...f, permalink: f.url_private })) };
    },
  };
}

/**
 * Uploads: the file store behind files.uploadV2's three steps (get an upload
 * URL, upload the bytes there, complete), and downloads of what was uploaded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, parseMultipart, randomId, send } from './http.js';
import type { AppliedCall, ChangeEvent, StoredFile } from './types.js';
import type { Violations } from './violations.js';

type PendingFile = StoredFile & { length: number; uploaded: boolean };

function mimetypeOf(name: string): string {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  const types: Record<string, string> = {
    png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml',
    csv: 'text/csv', txt: 'text/plain', json: 'application/json', pdf: 'application/pdf',
  };
  return types[ext] ?? 'application/octet-stream';
}

/** The `method` an `onApplied` hook sees for the bytes of an upload arriving at its upload URL (not a Web API method). */
export const UPLOAD_METHOD = 'upload';

export class FileStore {
  private readonly files = new Map<string, PendingFile>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly changed: (event: ChangeEvent) => void,
    private readonly violations: Violations,
    /** The `onApplied` hooks, run once the bytes are stored and before the uploader hears so. */
    private readonly applied: (call: AppliedCall) => Promise<void>,
  ) {}

  reset(): void {
    this.files.clear();
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  /** files.getUploadURLExternal: reserves a file and the URL its bytes go to. */
  reserve(name: string, length: number, altTxt?: string): { upload_url: string; file_id: string } {
    const id = randomId('F');
    const url = this.baseUrl();
    this.files.set(id, {
      id, name, title: name, mimetype: mimetypeOf(name), size: 0, url_private: `${url}/files/${id}`, length, uploaded: false, ...(altTxt ? { alt_txt: altTxt } : {}),
    });
    return { upload_url: `${url}/upload/${id}`, file_id: id };
  }

  /** files.completeUploadExternal: a file whose bytes arrived, or Slack's `file_not_found`. */
  complete(fileId: string, title: string | undefined): StoredFile {
    const file = this.files.get(fileId);
    if (!file?.uploaded) throw new ApiError('file_not_found');
    if (title) file.title = title;
    return file;
  }

  /** `POST /upload/<id>`: the bytes, raw or as the one file of a multipart form. */
  async serveUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const file = this.files.get(fileId);
    if (!file) return send(res, 404, 'file_not_found');
    let bytes = raw;
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.includes('multipart/form-data')) {
      const part = (await parseMultipart(raw, contentType)).find((entry): entry is [string, Buffer] => Buffer.isBuffer(entry[1]));
      bytes = part ? part[1] : Buffer.alloc(0);
    }
    if (bytes.length !== file.length) {
      this.violations.add('upload', [{ message: `${bytes.length} bytes arrived for ${file.name}; files.getUploadURLExternal was told length ${file.length} (its size in bytes)` }]);
    }
    Object.assign(file, { bytes, size: bytes.length, uploaded: true });
    this.changed({ kind: 'file' });
    const answer = `OK - ${bytes.length}`;
    await this.applied({ method: UPLOAD_METHOD, args: { file_id: fileId, filename: file.name, length: bytes.length }, at: Date.now(), result: { ok: true, answer } });
    send(res, 200, answer);
  }

  /** `GET /files/<id>`: the uploaded bytes, with their type. */
  serveDownload(fileId: string, res: ServerResponse): void {
    const file = this.files.get(fileId);
    if (!file?.bytes) send(res, 404, 'file_not_found');
    else res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.size }).end(file.bytes);
  }
}

/**
 * Uploads: the file store behind files.uploadV2's three steps (get an upload
 * URL, upload the bytes there, complete), and downloads of what was uploaded.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ApiError, isObj, parseMultipart, randomId, send } from './http.js';
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

/**
 * Uploads no kept message shows that a files directory keeps all the same (the newest): those whose
 * message is not posted yet (files.completeUploadExternal comes after the bytes).
 */
export const SAVED_UNSHARED_FILES = 10;

/** The most bytes of uploads a files directory keeps (the newest first): a bound whatever the messages kept show. */
export const SAVED_FILES_MAX_BYTES = 64 * 1024 * 1024;

/**
 * With a files directory, the most uploads whose bytes are also held in memory (the newest): older ones are
 * read back from the directory when asked for, so memory stays bounded however long the bot runs.
 */
export const FILES_IN_MEMORY = 20;

/** The IDs {@link randomId} makes for files: nothing else names a file in the files directory. */
const FILE_ID = /^F[0-9A-Z]{10}$/;

export class FileStore {
  private readonly files = new Map<string, PendingFile>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly changed: (event: ChangeEvent) => void,
    private readonly violations: Violations,
    /** The `onApplied` hooks, run once the bytes are stored and before the uploader hears so. */
    private readonly applied: (call: AppliedCall) => Promise<void>,
    /**
     * Where uploads are also kept, to be served after a restart (see `SlackStandinOptions.filesDir`), and
     * the IDs of the files the messages kept in the state file show (`shown`).
     */
    private readonly saved?: { dir: string; onError: (error: unknown) => void; shown: () => ReadonlySet<string> },
  ) {}

  /**
   * Keeps an upload's bytes in the files directory (temporary file, then rename), then drops what no kept
   * message shows (beyond the newest {@link SAVED_UNSHARED_FILES}) and, oldest first, what goes beyond
   * {@link SAVED_FILES_MAX_BYTES}.
   */
  private save(file: PendingFile): boolean {
    if (!this.saved) return false;
    const { dir } = this.saved;
    try {
      mkdirSync(dir, { recursive: true });
      const target = path.join(dir, `${file.id}.json`);
      const temp = `${target}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify({ id: file.id, name: file.name, mimetype: file.mimetype, bytes: (file.bytes ?? Buffer.alloc(0)).toString('base64') }));
      renameSync(temp, target);
      const shown = this.saved.shown();
      const newestFirst = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          const stat = statSync(path.join(dir, f));
          // The upload just kept counts as the newest whatever the clock's resolution.
          return { f, id: f.slice(0, -'.json'.length), at: f === `${file.id}.json` ? Infinity : stat.mtimeMs, size: stat.size };
        })
        .sort((a, b) => b.at - a.at);
      let unshared = 0;
      let bytes = 0;
      for (const { f, id, size } of newestFirst) {
        const wanted = shown.has(id) || unshared++ < SAVED_UNSHARED_FILES;
        if (wanted) bytes += size;
        if (!wanted || bytes > SAVED_FILES_MAX_BYTES) rmSync(path.join(dir, f), { force: true });
      }
      return true;
    } catch (error) {
      this.saved.onError(error);
      return false;
    }
  }

  /** Drops from memory the oldest uploads beyond {@link FILES_IN_MEMORY}: their bytes are in the files directory. */
  private forgetOldUploads(): void {
    const uploaded = [...this.files.values()].filter((f) => f.uploaded);
    for (const f of uploaded.slice(0, Math.max(0, uploaded.length - FILES_IN_MEMORY))) this.files.delete(f.id);
  }

  /** An upload kept in the files directory by an earlier run; undefined when there is none. */
  private restore(fileId: string): StoredFile | undefined {
    if (!this.saved || !FILE_ID.test(fileId)) return undefined;
    let raw: string;
    try {
      raw = readFileSync(path.join(this.saved.dir, `${fileId}.json`), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const kept: unknown = JSON.parse(raw);
      if (!isObj(kept) || typeof kept['name'] !== 'string' || typeof kept['mimetype'] !== 'string' || typeof kept['bytes'] !== 'string') return undefined;
      const bytes = Buffer.from(kept['bytes'], 'base64');
      return { id: fileId, name: kept['name'], title: kept['name'], mimetype: kept['mimetype'], size: bytes.length, url_private: `${this.baseUrl()}/files/${fileId}`, bytes };
    } catch (error) {
      this.saved.onError(error);
      return undefined;
    }
  }

  reset(): void {
    this.files.clear();
  }

  /** How many uploads (reserved or with their bytes) are held in memory. */
  get inMemory(): number {
    return this.files.size;
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId) ?? this.restore(fileId);
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
    const pending = this.files.get(fileId);
    // An upload no longer held in memory is read back from the files directory: its bytes arrived.
    const file = pending ? (pending.uploaded ? pending : undefined) : this.restore(fileId);
    if (!file) throw new ApiError('file_not_found');
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
    if (this.save(file)) this.forgetOldUploads();
    this.changed({ kind: 'file' });
    const answer = `OK - ${bytes.length}`;
    await this.applied({ method: UPLOAD_METHOD, args: { file_id: fileId, filename: file.name, length: bytes.length }, at: Date.now(), result: { ok: true, answer } });
    send(res, 200, answer);
  }

  /** `GET /files/<id>`: the uploaded bytes, with their type. */
  serveDownload(fileId: string, res: ServerResponse): void {
    const file = this.file(fileId);
    if (!file?.bytes) send(res, 404, 'file_not_found');
    else res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.size }).end(file.bytes);
  }
}

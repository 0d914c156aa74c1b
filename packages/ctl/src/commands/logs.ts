/** `qsenctl logs ls | get | tail | truncate`: the kans' log endpoints. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { QsenClient } from '../client/client.js';
import { createCtlError } from '../errors.js';
import { createProgressBar, type ProgressOutput } from '../render/progress.js';
import { renderTable } from '../render/table.js';
import { asArray, asRecord, asSmallNumber, formatBytes, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** File-system failures of the local output file (as opposed to the download). */
const LOCAL_WRITE_ERRORS = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'EROFS', 'EDQUOT']);

/** `logs ls`. */
export async function runLogsList(client: QsenClient, out: CommandOutput, via: number): Promise<void> {
  const list = asArray(await client.callJson(client.kan(via), '/kan/v1/logs'));
  if (out.json) {
    out.data({ logs: list });
    return;
  }
  out.text(renderTable(['NAME', 'SIZE', 'MODIFIED'], list.map(asRecord).map((e) => [
    formatScalar(e['name']), formatBytes(asSmallNumber(e['size'])), formatScalar(e['modified']),
  ])));
}

/** The file name a download is saved under: `-o`, else the server's name, else the log's name. */
export function chooseDownloadName(file: string, disposition: string | undefined, output: string | undefined): string {
  if (output !== undefined) return output;
  const fromServer = disposition ? /filename="([^"/\\]+)"/.exec(disposition)?.[1] : undefined;
  return basename(fromServer ?? (file === 'all' ? 'qsen-logs.tar.gz' : file));
}

/** `logs get FILE|all`: streams to a file (or stdout with `-o -`), progress bar on a terminal stderr. */
export async function runLogsGet(client: QsenClient, out: CommandOutput, opts: { file: string; output: string | undefined; via: number; cwd: string; progress: ProgressOutput }): Promise<void> {
  const res = await client.openStream(client.kan(opts.via), '/kan/v1/logs', { query: { file: opts.file } });
  const length = asSmallNumber(res.headers['content-length']);
  const name = chooseDownloadName(opts.file, res.headers['content-disposition'], opts.output);
  const bar = createProgressBar(opts.progress, `${opts.file === 'all' ? 'all logs' : opts.file}`, length);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      bar.advance(chunk.length);
      done(null, chunk);
    },
  });
  if (name === '-') {
    await pipeline(res, counter, out.stdout as NodeJS.WritableStream, { end: false });
    bar.finish();
    return;
  }
  const path = resolve(opts.cwd, name);
  const partial = `${path}.part`;
  try {
    await pipeline(res, counter, createWriteStream(partial, { flags: 'w', mode: 0o640 }));
    if (length !== undefined && bytes !== length) throw createCtlError('CONNECTION_FAILED', `download cut short: ${bytes} of ${length} bytes`);
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof Error && 'kind' in err) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (LOCAL_WRITE_ERRORS.has(code)) throw createCtlError('OUTPUT_FAILED', `cannot write ${path}: ${code}`, { cause: err });
    throw createCtlError('CONNECTION_FAILED', `download of ${opts.file} failed: ${(err as Error).message}`, { cause: err });
  }
  bar.finish();
  if (out.json) out.data({ file: opts.file, path, bytes });
  else out.text(`wrote ${path} (${formatBytes(bytes)})`);
}

/** The part of a tail answer not shown yet, given the previous end offset. */
export function selectNewTail(body: Buffer, start: number, end: number, shownUpTo: number | undefined): { text: Buffer; reset: boolean } {
  if (shownUpTo === undefined) return { text: body, reset: false };
  if (end < shownUpTo) return { text: body, reset: true }; // truncated or replaced: show what is there
  if (shownUpTo <= start) return { text: body, reset: false };
  return { text: body.subarray(shownUpTo - start), reset: false };
}

/** `logs tail FILE`: the last lines or bytes; `-f` keeps polling and prints what is appended. */
export async function runLogsTail(client: QsenClient, out: CommandOutput, opts: {
  file: string; lines: number | undefined; bytes: number | undefined; follow: boolean; intervalMs: number; via: number; signal?: AbortSignal | undefined;
}): Promise<void> {
  const node = client.kan(opts.via);
  const fetchTail = async (query: Record<string, string | number | undefined>): Promise<{ body: Buffer; start: number; end: number }> => {
    const answer = await client.callText(node, '/kan/v1/logs/tail', { query: { file: opts.file, ...query } });
    const body = Buffer.from(answer.text, 'utf8');
    const end = asSmallNumber(answer.headers['x-file-size']) ?? body.length;
    const start = asSmallNumber(answer.headers['x-tail-start']) ?? end - body.length;
    return { body, start, end };
  };
  const emit = (chunk: { body: Buffer; start: number; end: number }, text: Buffer): void => {
    if (out.json) out.data({ file: opts.file, start: chunk.start, size: chunk.end, text: text.toString('utf8') });
    else out.stdout.write(text);
  };
  const first = await fetchTail(opts.lines !== undefined ? { lines: opts.lines } : { bytes: opts.bytes });
  emit(first, first.body);
  if (!opts.follow) return;
  let shown = first.end;
  while (!opts.signal?.aborted) {
    await new Promise<void>((resolveWait) => {
      const timer = setTimeout(resolveWait, opts.intervalMs);
      opts.signal?.addEventListener('abort', () => { clearTimeout(timer); resolveWait(); }, { once: true });
    });
    if (opts.signal?.aborted) break;
    const next = await fetchTail({ bytes: 65_536 });
    const part = selectNewTail(next.body, next.start, next.end, shown);
    if (part.reset) out.note(`qsenctl: ${opts.file} shrank (truncated or rotated); showing its end again`);
    if (part.text.length > 0) emit(next, part.text);
    shown = next.end;
  }
}

/** `logs truncate FILE|all --keep BYTES`. */
export async function runLogsTruncate(client: QsenClient, out: CommandOutput, opts: { file: string; keep: number; via: number }): Promise<void> {
  const answer = asRecord(await client.callJson(client.kan(opts.via), '/kan/v1/logs/truncate', { method: 'POST', query: { file: opts.file, keep: opts.keep } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  out.text(renderTable(['FILE', 'METHOD', 'BEFORE', 'AFTER'], asArray(answer['results']).map(asRecord).map((r) => [
    formatScalar(r['file']), formatScalar(r['method']), formatBytes(asSmallNumber(r['sizeBefore'])), formatBytes(asSmallNumber(r['sizeAfter'])),
  ])));
}

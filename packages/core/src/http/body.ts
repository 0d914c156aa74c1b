/**
 * JSON request bodies (docs/api.md §3): at most `maxBodyBytes` (413 PAYLOAD_TOO_LARGE),
 * an empty body is `{}`, anything that is not a JSON object is 400 INVALID_JSON, and numbers
 * stay exact (LosslessNumber) because parsing goes through parseJsonLossless.
 */
import type express from 'express';
import { httpErrors, errorMessage } from '../errors/api-error.js';
import { JsonSyntaxError, parseJsonLossless, scanJsonText } from '../json/lossless.js';

/** The default body limit: 64 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

const readers = new WeakMap<express.Request, Promise<Buffer | undefined>>();
const limits = new WeakMap<express.Request, number>();

/** Sets the body limit for `req` (createApiApp does it from `maxBodyBytes`). */
export function setBodyLimit(req: express.Request, maxBodyBytes: number): void {
  limits.set(req, maxBodyBytes);
}

/** The body limit for `req`: what createApiApp set, else 64 KiB. */
export function getBodyLimit(req: express.Request): number {
  return limits.get(req) ?? DEFAULT_MAX_BODY_BYTES;
}

/** Reads the raw body of `req` once (any content type), bounded by `maxBodyBytes`; undefined when there is none. */
function readRawBody(req: express.Request, res: express.Response, maxBodyBytes: number): Promise<Buffer | undefined> {
  const known = readers.get(req);
  if (known) return known;
  // A request destroyed before its body was read (its client left while it waited, e.g. for kan's
  // app to load: Node then drops what it had buffered) has lost its body, never an empty one; the
  // answer is body-parser's to a client gone mid-body (INVALID_JSON), not a handler run on `{}`.
  const declared = req.headers['content-length'];
  if (req.destroyed && ((declared !== undefined && declared !== '0') || req.headers['transfer-encoding'] !== undefined)) {
    return Promise.reject(translateReadError({ type: 'request.aborted', message: 'request aborted' }, maxBodyBytes));
  }
  const reading = readPlainBody(req, maxBodyBytes) ?? readWithBodyParser(req, res, maxBodyBytes);
  readers.set(req, reading);
  return reading;
}

/**
 * The common case read without body-parser (issue 17: it costs a few percent of the CPU per
 * order): an unencoded body of a declared length within the limit, on a request still being
 * read. The outcome is body-parser's for that case: the bytes (a request without a body: none),
 * or, when the client goes away mid-body, the same INVALID_JSON (aborted) or 400 error. Anything
 * else (a length over the limit, chunked or compressed bodies, a request already finished)
 * undefined: body-parser reads it.
 */
function readPlainBody(req: express.Request, maxBodyBytes: number): Promise<Buffer | undefined> | undefined {
  const { headers } = req;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  // body-parser skips a request on-finished calls finished (its socket no longer readable, say).
  const socket = req.socket as express.Request['socket'] | null;
  if (socket === null || !socket.readable || (req.complete && !req.readable)) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined) return Promise.resolve(undefined); // no body: body-parser skips it too
  if (!/^[0-9]{1,15}$/.test(declared)) return undefined;
  const length = Number(declared);
  if (length > maxBodyBytes) return undefined;
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (err: unknown, body?: Buffer): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (err === undefined) resolve(body);
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
    };
    // Node's parser ends the body at its declared length; a shorter one ends in 'aborted' instead.
    const onEnd = (): void => finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    const onAborted = (): void => finish(translateReadError({ type: 'request.aborted', message: 'request aborted' }, maxBodyBytes));
    const onError = (err: Error): void => finish(Object.assign(err, { status: 400, statusCode: 400, expose: true }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  });
}

/**
 * Reads the body with body-parser (every case readPlainBody leaves). express is imported here, not
 * at the top: a kan that answers only its direct routes (its pings) never loads it (issue 17); in
 * a process whose app is built, the module is cached and the import settles within microtasks,
 * before any I/O event of the request can run.
 */
async function readWithBodyParser(req: express.Request, res: express.Response, maxBodyBytes: number): Promise<Buffer | undefined> {
  const { default: express } = await import('express');
  const parse = express.raw({ type: () => true, limit: maxBodyBytes, inflate: false });
  const reading = new Promise<Buffer | undefined>((resolve, reject) => {
    parse(req, res, (err?: unknown) => {
      if (err !== undefined && err !== null) {
        reject(translateReadError(err, maxBodyBytes));
        return;
      }
      const body: unknown = req.body;
      resolve(Buffer.isBuffer(body) ? body : undefined);
    });
  });
  return reading;
}

function translateReadError(err: unknown, maxBodyBytes: number): unknown {
  const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  if (type === 'entity.too.large') {
    return httpErrors.create('PAYLOAD_TOO_LARGE', `the body exceeds ${maxBodyBytes} bytes`, { limitBytes: maxBodyBytes }, err);
  }
  // body-parser's other read failures (compressed body, aborted or truncated request): the body is not readable JSON.
  if (typeof type === 'string') return httpErrors.create('INVALID_JSON', 'the body could not be read as JSON text', undefined, err);
  return err;
}

/** Deepest nesting of objects and arrays a body may have: deeper bodies are INVALID_JSON before parsing, whatever the stack depth left. */
export const MAX_JSON_DEPTH = 512;

/** The deepest nesting of `{`/`[` in `text`, outside strings (pure, linear). */
export function jsonNestingDepth(text: string): number {
  return scanJsonText(text).depth;
}

/**
 * The INVALID_JSON for a parse failure (pure). A key given twice with different values is its own
 * case, the contract's code with its own message and `details.problem: "duplicate_key"` (with
 * the key and its position): the body is ambiguous, not garbled. A key repeated with the very
 * same value is read once (nothing is ambiguous then).
 */
export function describeJsonSyntaxError(err: unknown): ReturnType<typeof httpErrors.create> {
  const message = errorMessage(err);
  const duplicate = /^Duplicate key '(.*)' encountered at position (\d+)$/s.exec(message);
  if (duplicate) {
    const key = duplicate[1] ?? '';
    return httpErrors.create('INVALID_JSON', `the key '${key}' appears twice in one object with different values`,
      { problem: 'duplicate_key', key, position: Number(duplicate[2]) }, err);
  }
  const position = err instanceof JsonSyntaxError && err.position !== undefined ? { position: err.position } : {};
  return httpErrors.create('INVALID_JSON', undefined, { problem: 'syntax', ...position }, err);
}

/** Parses `text` as a JSON object body (an empty body is `{}`); throws INVALID_JSON otherwise. */
export function parseJsonObjectBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  if (jsonNestingDepth(text) > MAX_JSON_DEPTH) throw httpErrors.create('INVALID_JSON', `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch (err) {
    throw describeJsonSyntaxError(err);
  }
  if (!isPlainObject(value)) {
    throw httpErrors.create('INVALID_JSON', 'the body must be a JSON object');
  }
  return value;
}

/** Reads and parses a POST body into `req.body` (a plain object; numbers are LosslessNumber). */
export async function parseJsonBody(req: express.Request, res: express.Response): Promise<void> {
  const raw = await readRawBody(req, res, getBodyLimit(req));
  const text = raw === undefined ? '' : decodeUtf8(raw);
  req.body = parseJsonObjectBody(text);
}

/**
 * Reads and discards a GET body: it is bounded like any other body (413 beyond the limit)
 * and never parsed; handlers get `req.body` = `{}` and work from the query string.
 */
export async function discardBody(req: express.Request, res: express.Response): Promise<void> {
  await readRawBody(req, res, getBodyLimit(req));
  req.body = {};
}

/** True for a JSON object (not an array, null, or a LosslessNumber, which is an object too). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function decodeUtf8(raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (err) {
    throw httpErrors.create('INVALID_JSON', 'the body is not UTF-8 text', undefined, err);
  }
}

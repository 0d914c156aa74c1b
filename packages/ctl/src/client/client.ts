/**
 * The one HTTP client of qsenctl: node:https with mutual TLS, one fresh connection per call,
 * JSON through the lossless parser (ids never pass through a JS number), error bodies turned
 * into failures carrying the server's code, transport failures explained (tls/explain.ts).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { parseJsonLossless, stringifyJsonLossless } from '@qsen/core/json';
import { createApiFailure, createCtlError, type CtlError } from '../errors.js';
import type { Target } from '../profile/profile.js';
import { explainTransportError } from '../tls/explain.js';
import type { Clock } from '@qsen/core/schedule';

/** One of the four nodes. */
export interface NodeRef {
  /** `qsen`, `kan0`, `kan1`, `kan2`. */
  readonly name: string;
  /** Human name: `qsen`, `kan 0`, ... */
  readonly label: string;
  readonly port: number;
}

/** What one call answered (whole body). */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request. */
export interface CallOptions {
  readonly method?: 'GET' | 'POST';
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** A JSON body (serialised losslessly). */
  readonly json?: unknown;
}

/** The client qsenctl's commands use. */
export interface QsenClient {
  readonly target: Target;
  /** qsen's node reference. */
  readonly qsen: NodeRef;
  /** kan N's node reference. */
  kan(index: number): NodeRef;
  /** Calls and returns the whole answer, whatever its status. */
  call(node: NodeRef, path: string, opts?: CallOptions): Promise<Answer>;
  /** Calls and returns the parsed JSON of a 2xx answer; an error answer becomes a CtlError. */
  callJson(node: NodeRef, path: string, opts?: CallOptions): Promise<unknown>;
  /** Calls and returns the text of a 2xx answer with its headers. */
  callText(node: NodeRef, path: string, opts?: CallOptions): Promise<{ text: string; headers: IncomingHttpHeaders }>;
  /** Opens a streamed 2xx answer (the caller consumes it). */
  openStream(node: NodeRef, path: string, opts?: CallOptions): Promise<IncomingMessage>;
}

/** Client settings. */
export interface ClientOptions {
  readonly timeoutMs: number;
  /** The clock for certificate explanations. */
  readonly clock: Clock;
}

interface IdentityMaterial { ca: Buffer; cert: Buffer; key: Buffer }

/** Reads the CA, certificate and key of a target and checks the key fits the certificate. */
export function loadIdentity(target: Target): IdentityMaterial {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw createCtlError('IDENTITY_UNREADABLE', `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  };
  const ca = read(target.caFile, 'CA certificate');
  const cert = read(target.certFile, 'client certificate');
  const key = read(target.keyFile, 'client key');
  let matches: boolean;
  try {
    // node:crypto, not node-forge: this runs on every call and forge alone costs ~100 ms to load.
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw createCtlError('IDENTITY_UNREADABLE', `the client certificate ${target.certFile} or key ${target.keyFile} cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (!matches) throw createCtlError('KEY_DOES_NOT_MATCH_CERTIFICATE', `the key ${target.keyFile} does not belong to the certificate ${target.certFile}`);
  return { ca, cert, key };
}

function buildPath(path: string, query: CallOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Reads a whole stream. */
function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Turns a non-2xx answer into the failure it describes. */
export function describeErrorAnswer(status: number, body: Buffer): CtlError {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return createApiFailure(status, error.code, typeof error.message === 'string' ? error.message : error.code, error.details);
  }
  return createApiFailure(status, 'UNEXPECTED_ANSWER', `HTTP ${status} without an error body: ${body.toString('utf8').slice(0, 200)}`, undefined);
}

/** Creates the client for a target (reads and checks the identity once). */
export function createClient(target: Target, options: ClientOptions): QsenClient {
  const identity = loadIdentity(target);

  const open = (node: NodeRef, path: string, opts: CallOptions = {}): Promise<IncomingMessage> => new Promise((resolve, reject) => {
    const body = opts.json === undefined ? undefined : Buffer.from(stringifyJsonLossless(opts.json), 'utf8');
    let handshakeDone = false;
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      reject(explainTransportError(err, {
        host: target.host, port: node.port, node: node.label, caFile: target.caFile, certFile: target.certFile,
        caPem: identity.ca, certPem: identity.cert, handshakeDone, now: new Date(options.clock.now()),
      }));
    };
    const req = httpsRequest({
      host: target.host,
      port: node.port,
      method: opts.method ?? 'GET',
      path: buildPath(path, opts.query),
      ca: identity.ca,
      cert: identity.cert,
      key: identity.key,
      agent: false,
      minVersion: 'TLSv1.2',
      headers: {
        accept: 'application/json, text/plain, */*',
        ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
      },
    }, (res) => {
      settled = true;
      res.socket.setTimeout(0);
      resolve(res);
    });
    req.on('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => { handshakeDone = true; });
      socket.setTimeout(options.timeoutMs, () => {
        const err = Object.assign(new Error('timed out'), { code: 'QSENCTL_TIMEOUT' });
        fail(err);
        req.destroy(err);
      });
    });
    req.on('error', fail);
    req.end(body);
  });

  const call = async (node: NodeRef, path: string, opts?: CallOptions): Promise<Answer> => {
    const res = await open(node, path, opts);
    const body = await readAll(res);
    return { status: res.statusCode ?? 0, headers: res.headers, body };
  };

  const checked = async (node: NodeRef, path: string, opts?: CallOptions): Promise<Answer> => {
    const answer = await call(node, path, opts);
    if (answer.status < 200 || answer.status > 299) throw describeErrorAnswer(answer.status, answer.body);
    return answer;
  };

  return {
    target,
    qsen: { name: 'qsen', label: 'qsen', port: target.qsenPort },
    kan(index) {
      const port = target.kanPorts[index];
      if (port === undefined) throw createCtlError('USAGE', `no kan ${index}: kans are 0, 1 and 2`);
      return { name: `kan${index}`, label: `kan ${index}`, port };
    },
    call,
    async callJson(node, path, opts) {
      const answer = await checked(node, path, opts);
      try {
        return parseJsonLossless(answer.body.toString('utf8'));
      } catch {
        throw createCtlError('UNEXPECTED_ANSWER', `${node.label} answered ${path} with something that is not JSON`);
      }
    },
    async callText(node, path, opts) {
      const answer = await checked(node, path, opts);
      return { text: answer.body.toString('utf8'), headers: answer.headers };
    },
    async openStream(node, path, opts) {
      const res = await open(node, path, opts);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw describeErrorAnswer(status, await readAll(res));
      return res;
    },
  };
}

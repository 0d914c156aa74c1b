/** One probe of a node's internal ping over loopback HTTPS (no client certificate; server certificate checked against the cluster CA). */
import { Agent, request } from 'node:https';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import type { ProbeOutcome } from './policy.js';
import { clientContextOf } from './peer-tls.js';

/** What a probe saw. */
export interface ProbeResult {
  readonly outcome: ProbeOutcome;
  readonly durationMs: number;
  /** The pid the node reported (when it answered). */
  readonly pid: number | null;
  readonly detail?: string;
}

/** A probe of one target (injectable for tests). */
export type ProbeFn = (target: { port: number; path: string }, timeoutMs: number) => Promise<ProbeResult>;

/**
 * OpenSSL's verdicts on a server certificate that this kan's CA in force does not accept (the
 * target answered the handshake: it is up, with a certificate of another or a retired CA).
 */
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The outcome of a failed connection (pure): refused (nothing listens), reset (the listener took
 * the connection and dropped it: shedding load, or the process died meanwhile), untrusted (its
 * certificate is refused by the CA in force), else error.
 */
export function outcomeOfError(code: string | undefined): ProbeOutcome {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code)) return 'untrusted';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  return 'error';
}

/** What verifies the target: a client context (the watchdog's, peer-tls.ts) or a CA to make one from. */
export type ProbeTrust = { readonly secureContext: SecureContext } | { readonly caPem: string | Buffer };

/** Makes the HTTPS probe function (servername "localhost", the cluster CA). */
export function createHttpsProbe(opts: ProbeTrust & { host?: string; servername?: string }): ProbeFn & { close(): void } {
  // One context for every probe of this function (a `ca` option would make one per connection).
  const secureContext = 'secureContext' in opts ? opts.secureContext : clientContextOf(opts.caPem);
  // A fresh connection per probe (TLS sessions are resumed): a reused keep-alive socket that the
  // server closed at the same instant would read as a failure of the target.
  const agent = new Agent({ keepAlive: false, maxCachedSessions: 16, secureContext });
  const probe = (target: { port: number; path: string }, timeoutMs: number): Promise<ProbeResult> =>
    new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const finish = (outcome: ProbeOutcome, pid: number | null, detail?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ outcome, durationMs: performance.now() - started, pid, ...(detail !== undefined ? { detail } : {}) });
      };
      const req = request({
        host: opts.host ?? '127.0.0.1', port: target.port, path: target.path, method: 'GET', agent,
        servername: opts.servername ?? 'localhost', headers: { accept: 'application/json' },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish('reset', null, err.message));
        res.on('end', () => {
          if (res.statusCode !== 200) { finish('error', null, `status ${res.statusCode ?? 0}`); return; }
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok?: unknown; pid?: unknown };
            finish(body.ok === true ? 'ok' : 'error', typeof body.pid === 'number' ? body.pid : null);
          } catch {
            finish('error', null, 'not JSON');
          }
        });
      });
      const timer = setTimeout(() => {
        finish('timeout', null, `no answer within ${timeoutMs} ms`);
        req.destroy();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => finish(outcomeOfError(err.code), null, err.code ?? err.message));
      req.end();
    });
  return Object.assign(probe, { close: () => agent.destroy() });
}

/** An idle TLS connection to a target whose closing is reported at once (a kill -9 closes it). */
export interface ConnectionWatch {
  /** True once the TLS handshake completed (from then on a close is reported). */
  readonly established: boolean;
  close(): void;
}

/**
 * Opens an idle TLS connection to a target; `onLost` is called when an established connection
 * closes (process killed, or the server retiring an idle connection: either way, probe now).
 */
export function watchConnection(opts: { port: number; secureContext: SecureContext; host?: string; onLost: () => void; onEnd: () => void }): ConnectionWatch {
  let established = false;
  let closedByUs = false;
  const socket = tlsConnect({ host: opts.host ?? '127.0.0.1', port: opts.port, secureContext: opts.secureContext, servername: 'localhost' }, () => { established = true; });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.on('close', () => {
    if (established && !closedByUs) opts.onLost();
    opts.onEnd();
  });
  return {
    get established() { return established; },
    close: () => { closedByUs = true; socket.destroy(); },
  };
}

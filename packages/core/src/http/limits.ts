/**
 * Per-source connection and handshake limits of the public listeners (docs/security.md, "Floods"):
 * a source may hold at most `perSource` connections and have at most `handshakesPerSource` TLS
 * handshakes in progress; all sources together at most `handshakesTotal` handshakes in progress.
 * A connection over a limit is closed at accept, before OpenSSL spends anything on it, so one
 * source cannot fill the handshake queue that the kans' probes and other clients wait in.
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { LogSink } from '../logging/log-sink.js';
import { systemClock, type Clock } from '../schedule/clock.js';

/** The limits. */
export interface ConnectionLimits {
  readonly perSource: number;
  readonly handshakesPerSource: number;
  readonly handshakesTotal: number;
}

/** The limits of qsen's and the kans' listeners. */
export const CONNECTION_LIMITS: ConnectionLimits = Object.freeze({ perSource: 512, handshakesPerSource: 128, handshakesTotal: 512 });

/** Why a connection was refused at accept (the label of the rejected-connections metric). */
export type LimitReason = 'source_connections' | 'source_handshakes' | 'handshakes';

/** The counts a new connection from one source would join. */
export interface LimitCounts {
  readonly sourceConnections: number;
  readonly sourceHandshakes: number;
  readonly totalHandshakes: number;
}

/** Admits or refuses a new connection (pure): null when admitted, else the limit it would exceed. */
export function judgeNewConnection(counts: LimitCounts, limits: ConnectionLimits): LimitReason | null {
  if (counts.sourceConnections >= limits.perSource) return 'source_connections';
  if (counts.sourceHandshakes >= limits.handshakesPerSource) return 'source_handshakes';
  if (counts.totalHandshakes >= limits.handshakesTotal) return 'handshakes';
  return null;
}

interface SourceCounts { connections: number; handshakes: number }

/** Applies the limits to a TLS server; `onRefused` is told about every connection closed at accept. */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits, onRefused: (remoteAddress: string | undefined, reason: LimitReason) => void): void {
  const sources = new Map<string, SourceCounts>();
  let totalHandshakes = 0;
  const inHandshake = new WeakSet<Socket>();
  const countsOf = (key: string): SourceCounts => {
    let c = sources.get(key);
    if (c === undefined) { c = { connections: 0, handshakes: 0 }; sources.set(key, c); }
    return c;
  };
  const endHandshake = (raw: Socket, c: SourceCounts): void => {
    if (!inHandshake.has(raw)) return;
    inHandshake.delete(raw);
    c.handshakes -= 1;
    totalHandshakes -= 1;
  };
  // The TLS layer's own 'connection' listeners run only for admitted sockets: a refused one never
  // reaches OpenSSL (no TLS socket, no handshake, no tlsClientError per refused socket).
  const tlsListeners = server.listeners('connection') as Array<(raw: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (raw: Socket) => {
    const key = raw.remoteAddress ?? 'unknown';
    const c = countsOf(key);
    const reason = judgeNewConnection({ sourceConnections: c.connections, sourceHandshakes: c.handshakes, totalHandshakes }, limits);
    if (reason !== null) {
      onRefused(raw.remoteAddress, reason);
      raw.destroy();
      return;
    }
    for (const listener of tlsListeners) listener.call(server, raw);
    c.connections += 1;
    c.handshakes += 1;
    totalHandshakes += 1;
    inHandshake.add(raw);
    raw.once('close', () => {
      endHandshake(raw, c);
      c.connections -= 1;
      if (c.connections === 0 && c.handshakes === 0) sources.delete(key);
    });
  });
  server.prependListener('secureConnection', (tls: TLSSocket) => {
    const raw = (tls as TLSSocket & { _parent?: Socket })._parent ?? tls;
    const c = sources.get(raw.remoteAddress ?? 'unknown');
    if (c !== undefined) endHandshake(raw, c);
  });
}

/**
 * Counts every refusal in `count` and logs at most one line per `everyMs` with the refusals since
 * the last line: a flood must not become a flood of log lines.
 */
export function reportRefusals(logger: Pick<LogSink, 'warn'>, count: ((reason: LimitReason) => void) | undefined, everyMs = 10_000, clock: Clock = systemClock): (remoteAddress: string | undefined, reason: LimitReason) => void {
  let since = new Map<string, number>();
  let lastLineAt = -Infinity;
  return (remoteAddress, reason) => {
    count?.(reason);
    const key = `${remoteAddress ?? 'unknown'} ${reason}`;
    since.set(key, (since.get(key) ?? 0) + 1);
    if (clock.now() - lastLineAt < everyMs) return;
    lastLineAt = clock.now();
    logger.warn('connections refused at accept: per-source or handshake limit', { refused: Object.fromEntries(since), limits: { ...CONNECTION_LIMITS } });
    since = new Map();
  };
}

/**
 * A small SENEBI stand-in speaking docs/api.md §8 over mutual TLS, for qsen's tests: it
 * counts every POST per order id (the exactly-once proofs), writes ids as bare JSON numbers,
 * refuses a second order with an id it holds as the simulator does (200, status rejected, reason
 * "duplicate order id"), cancels resting orders (docs/api.md §8), and has the faults the tests need (accepted then no answer, 500 after
 * storing, 500 before storing, delays, a processing time during which GET by id answers 404).
 * Listings can carry extra out-of-range orders and operations.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parseJsonLossless, stringifyJsonLossless, LosslessNumber } from '@qsen/core';

/** A fault applied to the next POST /senebi/v1/orders calls. */
export type DoubleFault = 'none' | 'accepted_no_answer' | 'error_after_store' | 'error_before_store' | 'conflict_after_store' | 'duplicate_refusal' | 'refuse_400' | 'reset_before_store' | 'reset_after_store';

/** The running double. */
export interface SenebiDouble {
  readonly port: number;
  /** POST count per order id (string). */
  readonly posts: Map<string, number>;
  /** Stored orders by id. */
  readonly orders: Map<string, Record<string, unknown>>;
  fault: DoubleFault;
  /** Delay before answering any request (ms). */
  delayMs: number;
  /** Processing time of each POST before the order is stored (GET by id answers 404 meanwhile), in ms; one value per POST in turn, the last repeats. */
  processingMs: number[];
  /** Per-copy decision (id, 0-based copy number): overrides `fault` and `processingMs` for that POST. */
  plan?: (id: string, copy: number) => { fault?: DoubleFault; processingMs?: number; after?: Promise<unknown> };
  /** Record content SENEBI shows instead of what was posted (a contradiction), by id. */
  tamper: Map<string, Record<string, unknown>>;
  /** Extra raw JSON items (text) added to the orders listing and the operations listing. */
  extraOrdersJson: string[];
  operationsJson: string[];
  /** Extra fields SENEBI adds to its echo of a new order (what sendOrder must not pass on). */
  echoExtra?: Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the double on 127.0.0.1, port 0 (or the given one). */
export async function startSenebiDouble(tls: { certPem: string; keyPem: string; clientCa: string }, port = 0): Promise<SenebiDouble> {
  const sockets = new Set<Socket>();
  const state: SenebiDouble = {
    port: 0,
    posts: new Map(),
    orders: new Map(),
    fault: 'none',
    delayMs: 0,
    processingMs: [],
    tamper: new Map(),
    extraOrdersJson: [],
    operationsJson: [],
    echoExtra: {},
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
  const wire = (order: Record<string, unknown>): string => stringifyJsonLossless({ ...order, id: new LosslessNumber(String(order['id'])) });

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, text: string): void => {
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(text);
        }, state.delayMs);
      };
      const url = new URL(req.url ?? '/', 'https://senebi');
      if (req.method === 'POST' && url.pathname === '/senebi/v1/orders') {
        const body = parseJsonLossless(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const id = String(body['id']);
        const copy = state.posts.get(id) ?? 0;
        state.posts.set(id, copy + 1);
        const planned = state.plan?.(id, copy);
        const fault = planned?.fault ?? state.fault;
        if (fault === 'refuse_400') return answer(400, '{"error": "bad request"}');
        const processing = planned?.processingMs ?? state.processingMs[Math.min(copy, state.processingMs.length - 1)] ?? 0;
        const process = (): void => {
          if (fault === 'error_before_store') return answer(500, '{"error": "internal"}');
          if (fault === 'reset_before_store') return void req.socket.destroy();
          // SENEBI claims to hold the id but stores nothing (GET by id keeps answering 404): a contradiction.
          if (fault === 'duplicate_refusal') return answer(200, `{"order": ${wire({ ...body, id, status: 'rejected', reason: 'duplicate order id' })}}`);
          let order = state.orders.get(id);
          let duplicate = false;
          if (!order) {
            const instrument = String(body['instrument']);
            // 'REJ' is rejected with a code-like reason; 'UNK...' like the real exchange, naming the instrument.
            const reason = instrument === 'REJ' ? 'UNKNOWN_INSTRUMENT' : instrument.startsWith('UNK') ? `unknown instrument ${instrument}` : undefined;
            order = { ...body, ...state.echoExtra, id, status: reason !== undefined ? 'rejected' : 'accepted', ...(reason !== undefined ? { reason } : {}), time: new Date().toISOString(), ...state.tamper.get(id) };
            state.orders.set(id, order);
          } else {
            duplicate = true;
          }
          if (fault === 'accepted_no_answer') return; // stored, never answered
          if (fault === 'reset_after_store') return void req.socket.destroy();
          if (fault === 'error_after_store') return answer(500, '{"error": "internal"}');
          if (fault === 'conflict_after_store') return answer(409, '{"error": "duplicate order id"}');
          if (duplicate) return answer(200, `{"order": ${wire({ ...body, id, status: 'rejected', reason: 'duplicate order id' })}}`);
          return answer(200, `{"order": ${wire(order)}}`);
        };
        // `after`: the copy waits for the test's signal (GET by id answers 404 meanwhile); callbacks run in arrival order.
        if (planned?.after) void planned.after.then(process);
        else if (processing > 0) setTimeout(process, processing);
        else process();
        return;
      }
      // Cancel (docs/api.md §8): a resting order is cancelled, a cancelled one answered again, anything else refused.
      const cancel = /^\/senebi\/v1\/orders\/([0-9]+)\/cancel$/.exec(url.pathname);
      if (req.method === 'POST' && cancel) {
        const id = cancel[1] ?? '';
        const order = state.orders.get(id);
        if (!order) return answer(404, `{"error": {"code": "ORDER_NOT_FOUND", "message": "no order with this id", "details": {"id": ${id}}}}`);
        if (order['status'] === 'accepted') state.orders.set(id, { ...order, status: 'cancelled', cancelledAt: new Date().toISOString() });
        const now = state.orders.get(id) ?? order;
        if (now['status'] !== 'cancelled') return answer(409, `{"error": {"code": "ORDER_NOT_CANCELLABLE", "message": "x", "details": {"id": ${id}, "status": "${String(now['status'])}"}}}`);
        return answer(200, `{"order": ${wire(now)}}`);
      }
      const one = /^\/senebi\/v1\/orders\/([0-9]+)$/.exec(url.pathname);
      if (req.method === 'GET' && one) {
        const order = state.orders.get(one[1] ?? '');
        return order ? answer(200, `{"order": ${wire(order)}}`) : answer(404, '{"error": "not found"}');
      }
      if (req.method === 'GET' && url.pathname === '/senebi/v1/orders') {
        return answer(200, `{"orders": [${[...[...state.orders.values()].map(wire), ...state.extraOrdersJson].join(',')}]}`);
      }
      if (req.method === 'GET' && url.pathname === '/senebi/v1/operations') return answer(200, `{"operations": [${state.operationsJson.join(',')}]}`);
      if (req.method === 'GET' && url.pathname === '/senebi/v1/ping') return answer(200, `{"ok": true, "time": "${new Date().toISOString()}"}`);
      return answer(404, '{"error": "no such path"}');
    });
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  (state as { port: number }).port = (server.address() as AddressInfo).port;
  return state;
}

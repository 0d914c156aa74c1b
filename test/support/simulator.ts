/** The SENEBI simulator's admin API (faults, counters, one order's history), called with the agent's identity. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptPrivateKey } from '@qsen/pki';
import { parseJsonLossless } from '@qsen/core';
import { httpsCall, waitFor, type HttpsAnswer } from '@qsen/testkit';
import type { LocalSystem } from './system.js';

/** What `GET /admin/v1/counters` answers (the parts the suites read). */
export interface SimulatorCounters {
  requests: Record<string, number>;
  ordersReceived: Record<string, number>;
  faults: Record<string, number>;
}

/** SENEBI's own record of one id (`GET /admin/v1/records`, docs/simulator.md). */
export interface SimulatorRecord {
  id: string;
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  pending: number;
  faults: Record<string, number>;
  /** The delivery verdict: `accepted` for an order SENEBI accepted, whatever happened to it since (resting, matched, cancelled). */
  status: 'accepted' | 'rejected' | 'absent';
  /** The order's state at SENEBI now (docs/api.md §8): `accepted` (resting), `matched`, `cancelled`, `rejected` or `absent`. */
  state: 'accepted' | 'matched' | 'cancelled' | 'rejected' | 'absent';
  /** Cancel requests that reached SENEBI, the one that committed (0 or 1) and the refused ones. */
  cancels: number;
  cancelled: number;
  cancelRefused: number;
}

/** The delivery verdict of a SENEBI state: matched and cancelled orders were accepted. */
function verdictOf(state: string): SimulatorRecord['status'] {
  if (state === 'matched' || state === 'cancelled' || state === 'accepted') return 'accepted';
  return state === 'rejected' ? 'rejected' : 'absent';
}

/** A small client of the simulator's admin API. */
export interface SimulatorAdmin {
  putFaults(faults: Readonly<Record<string, unknown>>): Promise<void>;
  /** Every submitted id's record, ids as strings, and how many submissions are in process. */
  records(): Promise<{ pending: number; records: SimulatorRecord[] }>;
  counters(): Promise<SimulatorCounters>;
  order(id: string): Promise<{ status: number; order: unknown; received: number }>;
  /** Replaces the matching knobs (`PUT /admin/v1/matching`). */
  putMatching(matching: Readonly<Record<string, number>>): Promise<void>;
  /** The counterparty enters its side of a resting order now (`POST /admin/v1/orders/ID/match`); the HTTP status. */
  match(id: string): Promise<number>;
  /** Places an order straight at SENEBI with the agent's identity (the agent's business outside qsen); its state. */
  placeDirect(order: Readonly<Record<string, string>>): Promise<string>;
  /** Operations per `orderId` of a trade date (`GET /senebi/v1/operations?date=`). */
  operationsByOrder(date: string): Promise<Map<string, number>>;
}

/** The agent's SENEBI identity of a state folder (its key decrypted in memory) and SENEBI's CA. */
export function readAgentIdentity(home: string): { identity: { cert: string; key: string }; ca: string } {
  const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8').replace(/\r?\n$/, '');
  const identity = { cert: readFileSync(join(home, 'senebi/agent.crt'), 'utf8'), key: decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase) };
  return { identity, ca: readFileSync(join(home, 'senebi/ca.crt'), 'utf8') };
}

/**
 * Waits until the simulator of a state folder answers its ping (mutual TLS, the agent's
 * certificate). Every suite that starts the system waits for this as well as for the nodes: the
 * simulator loads more than the nodes (express, winston) and, on a loaded machine, can listen
 * seconds after qsen and the kans answer. A suite's first order then met a refused SENEBI (CI:
 * the campaign's first admin call, the OpenAPI suite's first sendOrder answered 502).
 */
export async function waitSimulatorAnswering(home: string, port: number, timeoutMs: number): Promise<void> {
  const { identity, ca } = readAgentIdentity(home);
  await waitFor(async () => {
    try {
      const answer = await httpsCall(`https://127.0.0.1:${port}/senebi/v1/ping`, { ca, identity, timeoutMs: 2000, tls: { servername: 'localhost' } });
      return answer.status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs, intervalMs: 200, what: 'the SENEBI simulator to answer its ping' });
}

/** Makes the admin client of the system's simulator. */
export function createSimulatorAdmin(system: Pick<LocalSystem, 'home' | 'ports'>): SimulatorAdmin {
  const { identity, ca } = readAgentIdentity(system.home);
  const base = `https://127.0.0.1:${system.ports.senebi}`;
  const call = (method: string, path: string, body?: string): Promise<HttpsAnswer> =>
    httpsCall(`${base}${path}`, { method, ca, identity, ...(body !== undefined ? { body } : {}), timeoutMs: 15_000, tls: { servername: 'localhost' } });
  return {
    async putFaults(faults) {
      const answer = await call('PUT', '/admin/v1/faults', JSON.stringify(faults));
      if (answer.status !== 200) throw new Error(`PUT /admin/v1/faults answered ${answer.status}: ${answer.body}`);
    },
    async records() {
      const answer = await call('GET', '/admin/v1/records');
      if (answer.status !== 200) throw new Error(`GET /admin/v1/records answered ${answer.status}`);
      // Ids are bare 19-digit numbers: parsed losslessly, then written as exact strings.
      const body = parseJsonLossless(answer.body) as { pending: unknown; records: Record<string, unknown>[] };
      const count = (v: unknown): number => Number(String(v));
      return {
        pending: count(body.pending),
        records: body.records.map((r) => ({
          id: String(r['id']),
          received: count(r['received']),
          accepted: count(r['accepted']),
          rejected: count(r['rejected']),
          duplicates: count(r['duplicates']),
          pending: count(r['pending']),
          faults: Object.fromEntries(Object.entries(r['faults'] as Record<string, unknown>).map(([k, v]) => [k, count(v)])),
          status: verdictOf(String(r['status'])),
          state: String(r['status']) as SimulatorRecord['state'],
          cancels: count(r['cancels']),
          cancelled: count(r['cancelled']),
          cancelRefused: count(r['cancelRefused']),
        })),
      };
    },
    async counters() {
      const answer = await call('GET', '/admin/v1/counters');
      if (answer.status !== 200) throw new Error(`GET /admin/v1/counters answered ${answer.status}`);
      return JSON.parse(answer.body) as SimulatorCounters;
    },
    async order(id) {
      const answer = await call('GET', `/admin/v1/orders/${id}`);
      if (answer.status === 404) return { status: 404, order: null, received: 0 };
      const body = JSON.parse(answer.body) as { order: unknown; received: number };
      return { status: answer.status, order: body.order, received: body.received };
    },
    async putMatching(matching) {
      const answer = await call('PUT', '/admin/v1/matching', JSON.stringify(matching));
      if (answer.status !== 200) throw new Error(`PUT /admin/v1/matching answered ${answer.status}: ${answer.body}`);
    },
    async match(id) {
      return (await call('POST', `/admin/v1/orders/${id}/match`, '{}')).status;
    },
    async placeDirect(order) {
      const answer = await call('POST', '/senebi/v1/orders', JSON.stringify(order));
      const body = parseJsonLossless(answer.body) as { order?: { status?: unknown } };
      return String(body.order?.status ?? `HTTP ${answer.status}`);
    },
    async operationsByOrder(date) {
      const answer = await call('GET', `/senebi/v1/operations?date=${date}`);
      if (answer.status !== 200) throw new Error(`GET /senebi/v1/operations answered ${answer.status}`);
      const body = parseJsonLossless(answer.body) as { operations: Array<Record<string, unknown>> };
      const counts = new Map<string, number>();
      for (const op of body.operations) {
        const orderId = String(op['orderId']);
        counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
      }
      return counts;
    },
  };
}

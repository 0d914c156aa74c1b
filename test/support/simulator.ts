/** The SENEBI simulator's admin API (faults, counters, one order's history), called with the agent's identity. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptPrivateKey } from '@qsen/pki';
import { httpsCall, type HttpsAnswer } from '@qsen/testkit';
import type { LocalSystem } from './system.js';

/** What `GET /admin/v1/counters` answers (the parts the suites read). */
export interface SimulatorCounters {
  requests: Record<string, number>;
  ordersReceived: Record<string, number>;
  faults: Record<string, number>;
}

/** A small client of the simulator's admin API. */
export interface SimulatorAdmin {
  putFaults(faults: Record<string, unknown>): Promise<void>;
  counters(): Promise<SimulatorCounters>;
  order(id: string): Promise<{ status: number; order: unknown; received: number }>;
}

/** Makes the admin client of the system's simulator. */
export function createSimulatorAdmin(system: LocalSystem): SimulatorAdmin {
  const home = system.home;
  const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8').replace(/\r?\n$/, '');
  const identity = { cert: readFileSync(join(home, 'senebi/agent.crt'), 'utf8'), key: decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase) };
  const ca = readFileSync(join(home, 'senebi/ca.crt'), 'utf8');
  const base = `https://127.0.0.1:${system.ports.senebi}`;
  const call = (method: string, path: string, body?: string): Promise<HttpsAnswer> =>
    httpsCall(`${base}${path}`, { method, ca, identity, ...(body !== undefined ? { body } : {}), timeoutMs: 15_000, tls: { servername: 'localhost' } });
  return {
    async putFaults(faults) {
      const answer = await call('PUT', '/admin/v1/faults', JSON.stringify(faults));
      if (answer.status !== 200) throw new Error(`PUT /admin/v1/faults answered ${answer.status}: ${answer.body}`);
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
  };
}

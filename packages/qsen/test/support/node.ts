/**
 * Starts an in-process qsen node on port 0 over a test state folder and a SENEBI double, and
 * gives tests a caller per role.
 */
import winston from 'winston';
import { loadConfig, type AuditEntry, type Clock } from '@qsen/core';
import { httpsCall, type HttpsAnswer } from '@qsen/testkit';
import { startQsen, type QsenNode } from '../../src/node.js';
import { startSenebiDouble, type SenebiDouble } from './senebi-double.js';
import { makeTestState, type ConfigSettings, type TestState } from './state.js';

/** A running test setup. */
export interface Harness {
  readonly state: TestState;
  readonly senebi: SenebiDouble;
  readonly node: QsenNode;
  readonly audit: AuditEntry[];
  /** Calls qsen as `role` (default platform); `body` is raw JSON text. */
  call(method: string, path: string, body?: string, role?: keyof TestState['clients'] | 'none'): Promise<HttpsAnswer & { json: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A logger that writes nothing (tests assert on answers, not on log lines). */
export function createQuietLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/** Starts the SENEBI double and a qsen node over a fresh state folder (`callTimeoutMs`: the callers' socket timeout, default httpsCall's). */
export async function startHarness(options: { clock?: Clock; settings?: Partial<ConfigSettings>; state?: TestState; senebi?: SenebiDouble; callTimeoutMs?: number } = {}): Promise<Harness> {
  const state = options.state ?? makeTestState({ senebiPort: 0 });
  const senebi = options.senebi ?? await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
  state.writeConfig({ ...options.settings, senebiPort: senebi.port });
  const config = loadConfig(state.confFile);
  const audit: AuditEntry[] = [];
  const node = await startQsen({ config, logger: createQuietLogger(), audit: { record: (e) => audit.push(e) }, port: 0, host: '127.0.0.1', ...(options.clock ? { clock: options.clock } : {}) });
  return {
    state,
    senebi,
    node,
    audit,
    async call(method, path, body, role = 'platform') {
      const answer = await httpsCall(`https://127.0.0.1:${node.port}${path}`, {
        method,
        ca: state.ca,
        ...(role === 'none' ? {} : { identity: { cert: state.clients[role].certPem, key: state.clients[role].keyPem } }),
        ...(body !== undefined ? { body } : {}),
        ...(options.callTimeoutMs !== undefined ? { timeoutMs: options.callTimeoutMs } : {}),
      });
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(answer.body) as Record<string, unknown>;
      } catch {
        json = {};
      }
      return { ...answer, json };
    },
    async close() {
      await node.shutdown();
      if (!options.senebi) await senebi.close();
      if (!options.state) state.remove();
    },
  };
}

/** A sendOrder body with the given id text (a JSON string unless `asNumber`). */
export function orderJson(id: string, overrides: Record<string, string> = {}, asNumber = false): string {
  const fields = { instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '210', ...overrides };
  return `{"id": ${asNumber ? id : JSON.stringify(id)}, ${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
}

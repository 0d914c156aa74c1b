/** The contract's endpoints (docs/api.md §2, §4 and §5) as data, for the role matrix and the fuzzer. */
import type { NodeName, RoleName } from './system.js';

/** One endpoint of one node. */
export interface Endpoint {
  /** `qsen` or `kan` (a kan endpoint exists on kan0, kan1 and kan2). */
  node: 'qsen' | 'kan';
  method: 'GET' | 'POST';
  path: string;
  /** Roles allowed by docs/api.md §2. */
  roles: readonly RoleName[];
  /** Changes state (a restart, a truncation, the kill switch, an order). */
  mutating?: boolean;
  /** Takes a JSON body (the fuzzer's targets). */
  json?: boolean;
}

const ALL: readonly RoleName[] = ['platform', 'operator', 'auditor'];
const WRITERS: readonly RoleName[] = ['platform', 'operator'];

/** Every external endpoint; `{LOG}` stands for the name of an existing log file. */
export const ENDPOINTS: readonly Endpoint[] = [
  { node: 'qsen', method: 'POST', path: '/qsen/v1/sendOrder', roles: ['platform'], mutating: true, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/getBilateralOrders', roles: ALL, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/getBilateralOperations', roles: ALL, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/decrypt', roles: ALL, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/ping/senebi', roles: ALL, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/cert/info', roles: ALL, json: true },
  { node: 'qsen', method: 'GET', path: '/qsen/v1/metrics/golang', roles: ALL },
  { node: 'qsen', method: 'GET', path: '/qsen/v1/metrics/process', roles: ALL },
  { node: 'qsen', method: 'GET', path: '/qsen/v1/status', roles: ALL },
  { node: 'qsen', method: 'GET', path: '/qsen/v1/config', roles: ALL },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/halt', roles: ['operator'], mutating: true, json: true },
  { node: 'qsen', method: 'POST', path: '/qsen/v1/resume', roles: ['operator'], mutating: true, json: true },
  { node: 'kan', method: 'GET', path: '/kan/v1/status', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/version', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/logs', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/logs?file={LOG}', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/logs/tail?file={LOG}&bytes=512', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/metrics/golang', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/metrics/process', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/metrics/system', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/cmd/top', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/cmd/ls', roles: ALL },
  { node: 'kan', method: 'GET', path: '/kan/v1/logs/truncate?file={LOG}&keep=104857600', roles: WRITERS, mutating: true },
  { node: 'kan', method: 'POST', path: '/kan/v1/logs/truncate?file={LOG}&keep=104857600', roles: WRITERS, mutating: true },
  { node: 'kan', method: 'GET', path: '/kan/v1/restart_qsen', roles: WRITERS, mutating: true },
  { node: 'kan', method: 'POST', path: '/kan/v1/restart_qsen', roles: WRITERS, mutating: true },
  { node: 'kan', method: 'GET', path: '/kan/v1/restart_kan', roles: WRITERS, mutating: true },
  { node: 'kan', method: 'POST', path: '/kan/v1/restart_kan', roles: WRITERS, mutating: true },
  // The browser console's kill switch (docs/console.md): operator only. Its read routes admit
  // operator and auditor only, which the read-only matrix (every role reads) does not describe;
  // test/console/console.test.ts and test/openapi cover them.
  { node: 'kan', method: 'POST', path: '/kan/v1/console/halt', roles: ['operator'], mutating: true },
  { node: 'kan', method: 'POST', path: '/kan/v1/console/resume', roles: ['operator'], mutating: true },
];

/** The nodes an endpoint lives on. */
export function nodesOf(endpoint: Endpoint): NodeName[] {
  return endpoint.node === 'qsen' ? ['qsen'] : ['kan0', 'kan1', 'kan2'];
}

/** A valid sendOrder body for an id. */
export function orderBody(id: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '210', ...overrides });
}

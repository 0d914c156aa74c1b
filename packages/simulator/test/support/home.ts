/**
 * Test state folders for the simulator: the SENEBI PKI (CA, server certificate, the agent's
 * client certificate and its encrypted key, as initClusterPki lays them out), a minimal
 * conf.toml, and identities that must be refused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, encryptPrivateKey, issueClientCertificate, issueServerCertificate, type Identity } from '@qsen/pki';
import { httpsCall, makeTempDir, type HttpsAnswer } from '@qsen/testkit';
import { parseJsonLossless } from '@qsen/core';

/** Certificates shared by the tests of one file. */
export interface TestPki {
  readonly ca: Identity;
  readonly server: Identity;
  readonly agent: Identity;
  /** Signed by the SENEBI CA, but not the agent (another CN, another key). */
  readonly intruder: Identity;
  /** The agent's CN, signed by another CA. */
  readonly foreign: Identity;
}

/** Makes the test PKI (RSA keys: call once per file, in `before`). */
export function makeTestPki(): TestPki {
  const ca = createCa({ commonName: 'SENEBI test CA' });
  const foreignCa = createCa({ commonName: 'Foreign CA' });
  return {
    ca,
    server: issueServerCertificate(ca, { commonName: 'senebi.local', hosts: ['localhost', '127.0.0.1', '::1'] }),
    agent: issueClientCertificate(ca, { commonName: 'agent-210', ou: 'agent' }),
    intruder: issueClientCertificate(ca, { commonName: 'someone-else', ou: 'agent' }),
    foreign: issueClientCertificate(foreignCa, { commonName: 'agent-210', ou: 'agent' }),
  };
}

/** The default reserved id range. */
export const RANGE = { min: '9999000000000000000', max: '9999999999999999999' } as const;

/** A state folder with conf.toml and senebi/; `remove()` deletes it. */
export interface TestHome {
  readonly path: string;
  remove(): void;
}

/** Creates a state folder for the simulator. */
export function makeTestHome(pki: TestPki, opts: { range?: { min: string; max: string }; port?: number; simulatorToml?: string } = {}): TestHome {
  const dir = makeTempDir('qsen-sim-');
  const senebi = join(dir.path, 'senebi');
  mkdirSync(senebi, { recursive: true });
  writeFileSync(join(senebi, 'ca.crt'), pki.ca.certPem);
  writeFileSync(join(senebi, 'ca.key'), pki.ca.keyPem, { mode: 0o600 });
  writeFileSync(join(senebi, 'server.crt'), pki.server.certPem);
  writeFileSync(join(senebi, 'server.key'), pki.server.keyPem, { mode: 0o600 });
  writeFileSync(join(senebi, 'agent.crt'), pki.agent.certPem);
  writeFileSync(join(senebi, 'agent.key.enc'), encryptPrivateKey(pki.agent.keyPem, 'test passphrase'), { mode: 0o600 });
  writeFileSync(join(senebi, 'passphrase'), 'test passphrase\n', { mode: 0o600 });
  if (opts.simulatorToml !== undefined) writeFileSync(join(senebi, 'simulator.toml'), opts.simulatorToml);
  const range = opts.range ?? RANGE;
  writeFileSync(join(dir.path, 'conf.toml'), [
    '[id_range]',
    `min = "${range.min}"`,
    `max = "${range.max}"`,
    '',
    '[senebi]',
    `url = "https://127.0.0.1:${opts.port ?? 9443}"`,
    'ca = "senebi/ca.crt"',
    'cert = "senebi/agent.crt"',
    'key = "senebi/agent.key.enc"',
    'passphrase_file = "senebi/passphrase"',
    '',
  ].join('\n'));
  return { path: dir.path, remove: dir.remove };
}

/** A client of one simulator, with the agent's identity by default. */
export interface SimClient {
  call(method: string, path: string, body?: string, identity?: Identity | null, timeoutMs?: number): Promise<HttpsAnswer>;
  /** Calls and parses the JSON answer losslessly. */
  json(method: string, path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Makes a client for a simulator at `url`. */
export function makeClient(url: string, pki: TestPki): SimClient {
  const call = (method: string, path: string, body?: string, identity: Identity | null = pki.agent, timeoutMs = 10_000): Promise<HttpsAnswer> =>
    httpsCall(`${url}${path}`, {
      method,
      ca: pki.ca.certPem,
      ...(identity ? { identity: { cert: identity.certPem, key: identity.keyPem } } : {}),
      ...(body !== undefined ? { body } : {}),
      timeoutMs,
    });
  return {
    call,
    async json(method, path, body) {
      const answer = await call(method, path, body);
      return { status: answer.status, body: parseJsonLossless(answer.body) as Record<string, unknown> };
    },
  };
}

/** A valid order body with this id (written as a bare JSON number). */
export function orderBody(id: string, overrides: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '45', ...overrides,
  };
  return `{"id": ${id}, ${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
}

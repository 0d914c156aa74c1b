/**
 * A throw-away qsen state folder for tests: cluster CA, server and client certificates, CRL,
 * a SENEBI CA with a server certificate (for the SENEBI double) and the agent's certificate with
 * its encrypted key and passphrase, and a conf.toml pointing at all of it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, createCrl, encryptPrivateKey, issueClientCertificate, issueServerCertificate, type Identity } from '@qsen/pki';
import { makeTempDir } from '@qsen/testkit';

/** Everything a test needs about its state folder. */
export interface TestState {
  readonly home: string;
  readonly confFile: string;
  readonly ca: string;
  readonly clients: Record<'platform' | 'operator' | 'auditor' | 'stranger', Identity>;
  /** For the SENEBI double: its server identity and the CA of the agent certificates it trusts. */
  readonly senebiServer: Identity;
  readonly agentCa: string;
  readonly passphrase: string;
  /** Rewrites conf.toml with other settings. */
  writeConfig(settings: ConfigSettings): void;
  remove(): void;
}

/** What a test may vary in conf.toml. */
export interface ConfigSettings {
  senebiPort: number;
  qsenPort?: number;
  timeoutMs?: number;
  schedule?: string;
  idMin?: string;
  idMax?: string;
  /** Lines of a [risk] section (without the header); absent: no [risk]. */
  risk?: string;
}

const openSchedule = 'timezone = "America/Argentina/Buenos_Aires"\nstart = "00:00"\nstop = "24:00"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\nholidays = []';

/** A fresh RSA key from Node's crypto (much faster than generating it in JavaScript). */
const newKey = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const pem = (dir: string, name: string, text: string, mode = 0o644): void => writeFileSync(join(dir, name), text, { mode });

/** Makes a state folder; `settings` fills conf.toml. */
export function makeTestState(settings: ConfigSettings, passphrase = 'correct horse battery staple'): TestState {
  const dir = makeTempDir('qsen-state-');
  const home = dir.path;
  const pki = join(home, 'pki');
  const senebi = join(home, 'senebi');
  mkdirSync(join(pki, 'clients'), { recursive: true });
  mkdirSync(senebi, { recursive: true });

  const ca = createCa({ keyPem: newKey(), commonName: 'QSen test cluster CA' });
  const server = issueServerCertificate(ca, { keyPem: newKey(), commonName: 'localhost', hosts: ['localhost', '127.0.0.1', '::1'] });
  const clients = {
    platform: issueClientCertificate(ca, { keyPem: newKey(), commonName: 'quantex', ou: 'platform' }),
    operator: issueClientCertificate(ca, { keyPem: newKey(), commonName: 'desk-operator', ou: 'operator' }),
    auditor: issueClientCertificate(ca, { keyPem: newKey(), commonName: 'auditor', ou: 'auditor' }),
    stranger: issueClientCertificate(ca, { keyPem: newKey(), commonName: 'stranger', ou: 'visitors' }),
  };
  pem(pki, 'ca.crt', ca.certPem);
  pem(pki, 'ca.key', ca.keyPem, 0o600);
  pem(pki, 'server.crt', server.certPem);
  pem(pki, 'server.key', server.keyPem, 0o600);
  pem(pki, 'crl.pem', createCrl(ca, []));

  const senebiCa = createCa({ keyPem: newKey(), commonName: 'SENEBI test CA' });
  const senebiServer = issueServerCertificate(senebiCa, { keyPem: newKey(), commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] });
  const agentCa = createCa({ keyPem: newKey(), commonName: 'BYMA test agent CA' });
  const agent = issueClientCertificate(agentCa, { keyPem: newKey(), commonName: 'agent-210', ou: 'agent' });
  pem(senebi, 'ca.crt', senebiCa.certPem);
  pem(senebi, 'agent.crt', agent.certPem);
  pem(senebi, 'agent.key.enc', encryptPrivateKey(agent.keyPem, passphrase), 0o600);
  pem(senebi, 'passphrase', `${passphrase}\n`, 0o600);

  const confFile = join(home, 'conf.toml');
  const writeConfig = (s: ConfigSettings): void => {
    writeFileSync(confFile, [
      '[server]',
      'listen = "127.0.0.1"',
      `qsen_port = ${s.qsenPort ?? 8443}`,
      '[id_range]',
      `min = "${s.idMin ?? '9999000000000000000'}"`,
      `max = "${s.idMax ?? '9999999999999999999'}"`,
      '[schedule]',
      s.schedule ?? openSchedule,
      '[senebi]',
      `url = "https://127.0.0.1:${s.senebiPort}"`,
      'ca = "senebi/ca.crt"',
      'cert = "senebi/agent.crt"',
      'key = "senebi/agent.key.enc"',
      'passphrase_file = "senebi/passphrase"',
      `timeout_ms = ${s.timeoutMs ?? 2000}`,
      'test_identity = true',
      ...(s.risk !== undefined ? ['[risk]', s.risk] : []),
      '',
    ].join('\n'));
  };
  writeConfig(settings);
  return { home, confFile, ca: ca.certPem, clients, senebiServer, agentCa: agentCa.certPem, passphrase, writeConfig, remove: dir.remove };
}

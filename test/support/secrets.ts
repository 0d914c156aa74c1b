/**
 * The secret scan: the private keys and the passphrase of a state folder, and a search for any of
 * them (or any PEM private-key block) in response bodies and log lines.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptPrivateKey } from '@qsen/pki';

/** One secret to look for: a label (never the secret itself) and the needles that betray it. */
export interface Secret {
  label: string;
  needles: string[];
}

/** One place where a secret showed up. */
export interface SecretFinding {
  secret: string;
  where: string;
}

const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----/;

/** Distinctive pieces of a PEM key: every full base64 line of its body (64 characters each). */
function needlesOfPem(pem: string): string[] {
  return pem.split(/\r?\n/).filter((line) => /^[A-Za-z0-9+/=]{64}$/.test(line));
}

/** Collects every private key (plain and decrypted) and the SENEBI passphrase of a state folder. */
export function collectSecrets(home: string): Secret[] {
  const secrets: Secret[] = [];
  const keyFiles = ['pki/ca.key', 'pki/server.key', 'senebi/ca.key', 'senebi/server.key', 'senebi/agent.key.enc'];
  for (const entry of readdirSync(join(home, 'pki/clients'))) if (entry.endsWith('.key')) keyFiles.push(`pki/clients/${entry}`);
  for (const file of keyFiles) {
    try {
      secrets.push({ label: file, needles: needlesOfPem(readFileSync(join(home, file), 'utf8')) });
    } catch {
      // not every state folder holds every file
    }
  }
  const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8').replace(/\r?\n$/, '');
  secrets.push({ label: 'senebi/passphrase', needles: [passphrase] });
  const agentKey = decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase);
  secrets.push({ label: 'senebi agent key (decrypted)', needles: needlesOfPem(agentKey) });
  return secrets;
}

/** Searches one text for PEM private-key blocks and for every needle of every secret. */
export function scanText(text: string, where: string, secrets: readonly Secret[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  if (PEM_PRIVATE_KEY.test(text)) findings.push({ secret: 'a PEM private-key block', where });
  for (const secret of secrets) {
    if (secret.needles.some((needle) => needle.length >= 16 && text.includes(needle))) findings.push({ secret: secret.label, where });
  }
  return findings;
}

/** Scans every regular file under a folder (recursively: the logs, rotated files included; links are not followed). */
export function scanFolder(folder: string, secrets: readonly Secret[]): { files: number; lines: number; findings: SecretFinding[] } {
  const findings: SecretFinding[] = [];
  let files = 0;
  let lines = 0;
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      const stat = lstatSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) {
        visit(full);
        continue;
      }
      if (!stat.isFile()) continue;
      const text = readFileSync(full, 'utf8');
      files += 1;
      lines += text.split('\n').length;
      findings.push(...scanText(text, full, secrets));
    }
  };
  visit(folder);
  return { files, lines, findings };
}

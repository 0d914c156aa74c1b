/**
 * Certificates and CRLs made by the `openssl` CLI itself (not by QSen's PKI code), for the tests
 * where trust is at stake: client certificates that break one rule each, and a CRL made by
 * `openssl ca -gencrl` from a minimal CA database.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA as PEM text (the key unencrypted). */
export interface OpensslCa {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What `issueWithOpenssl` makes. */
export interface OpensslClientSpec {
  /** File name stem inside the folder. */
  readonly name: string;
  /** `-subj` text, e.g. "/CN=alice/OU=operator" or, with multiValueRdn, "/CN=x+OU=operator/OU=platform". */
  readonly subject: string;
  /** Key: "rsa:2048", "rsa:1024", "ec:P-256", "ec:P-384", "ed25519". */
  readonly key: string;
  /** Signature digest (default sha256). */
  readonly digest?: string;
  /** extfile lines (default: extendedKeyUsage=clientAuth). */
  readonly extensions?: readonly string[];
  readonly multiValueRdn?: boolean;
  /** Hex serial (default: random from openssl). */
  readonly serial?: string;
}

/** Runs openssl with `args` in `dir`; throws with its stderr when it fails. */
export function runOpensslCli(tool: string, dir: string, args: readonly string[]): string {
  const result = spawnSync(tool, [...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr || result.error?.message || ''}`);
  return result.stdout;
}

function writeCa(dir: string, ca: OpensslCa): { cert: string; key: string } {
  const cert = join(dir, 'openssl-ca.crt');
  const key = join(dir, 'openssl-ca.key');
  writeFileSync(cert, ca.certPem);
  writeFileSync(key, ca.keyPem, { mode: 0o600 });
  return { cert, key };
}

/** Makes a client key and certificate signed by `ca` with `openssl req` + `openssl x509 -req`. */
export function issueWithOpenssl(tool: string, dir: string, ca: OpensslCa, spec: OpensslClientSpec): { cert: string; key: string } {
  const caFiles = writeCa(dir, ca);
  const key = join(dir, `${spec.name}.key`);
  const csr = join(dir, `${spec.name}.csr`);
  const cert = join(dir, `${spec.name}.crt`);
  const ext = join(dir, `${spec.name}.ext`);
  const [kind, size] = spec.key.split(':');
  const keyArgs = kind === 'ec' ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${size ?? 'P-256'}`]
    : kind === 'ed25519' ? ['-newkey', 'ed25519']
      : ['-newkey', `rsa:${size ?? '2048'}`];
  runOpensslCli(tool, dir, ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', csr, '-subj', spec.subject, ...(spec.multiValueRdn ? ['-multivalue-rdn'] : [])]);
  writeFileSync(ext, `${(spec.extensions ?? ['extendedKeyUsage=clientAuth']).join('\n')}\n`);
  runOpensslCli(tool, dir, [
    'x509', '-req', '-in', csr, '-CA', caFiles.cert, '-CAkey', caFiles.key, '-days', '30', `-${spec.digest ?? 'sha256'}`, '-extfile', ext,
    ...(spec.serial ? ['-set_serial', `0x${spec.serial}`] : ['-CAcreateserial']),
    '-out', cert,
  ]);
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** Formats a date as the CA database's UTCTime (YYMMDDHHMMSSZ). */
function databaseTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
}

/**
 * Makes a CRL with `openssl ca -gencrl`: a minimal CA configuration in `dir`, an index.txt that
 * lists `revokedSerials` as revoked, and a crlnumber file holding `crlNumber`.
 */
export function gencrlWithOpenssl(tool: string, dir: string, ca: OpensslCa, opts: { revokedSerials: readonly string[]; crlNumber: number; days?: number }): string {
  const caFiles = writeCa(dir, ca);
  const now = Date.now();
  const index = opts.revokedSerials.map((serial, i) => {
    const hex = serial.length % 2 === 1 ? `0${serial}` : serial;
    return `R\t${databaseTime(new Date(now + 365 * 86_400_000))}\t${databaseTime(new Date(now - 60_000))}\t${hex.toUpperCase()}\tunknown\t/CN=revoked-${i}\n`;
  }).join('');
  writeFileSync(join(dir, 'index.txt'), index);
  writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(join(dir, 'crlnumber'), `${opts.crlNumber.toString(16).padStart(2, '0').toUpperCase()}\n`);
  const config = join(dir, 'openssl-ca.cnf');
  writeFileSync(config, [
    '[ ca ]', 'default_ca = cluster', '',
    '[ cluster ]',
    `database = ${join(dir, 'index.txt')}`,
    `crlnumber = ${join(dir, 'crlnumber')}`,
    `certificate = ${caFiles.cert}`,
    `private_key = ${caFiles.key}`,
    'default_md = sha256',
    `default_crl_days = ${opts.days ?? 30}`,
    'crl_extensions = crl_ext', '',
    '[ crl_ext ]', 'authorityKeyIdentifier = keyid:always', '',
  ].join('\n'));
  const out = join(dir, 'openssl-gencrl.pem');
  runOpensslCli(tool, dir, ['ca', '-gencrl', '-config', config, '-out', out]);
  return readFileSync(out, 'utf8');
}

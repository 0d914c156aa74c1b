import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeCrl } from '../crl.js';
import { describeCertificate } from '../describe.js';
import { PkiError } from '../errors.js';
import { initClusterPki } from '../cluster/init.js';
import { issueClientIdentity, parseRole, renewIdentity, validateClientName } from '../cluster/clients.js';
import { CRL_TAKES_EFFECT_WITHIN_S, listRevoked, renewCrl, revokeCertificate } from '../cluster/revocation.js';
import { MODES, readOptional, writeNewFile } from '../cluster/files.js';
import { CLUSTER_PKI_FILES, clientFiles, resolveIn } from '../cluster/paths.js';
import { formatCertificateInfo, formatCrlInfo, formatRevocationRecord } from './format.js';

/** Where the CLI writes and what it assumes; `main` fills it from the process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** `--home` when not given: `$QSEN_HOME`, else `.qsen-local`. */
  defaultHome: string;
  now?: () => Date;
}

/** Exit codes of `qsen-pki`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The help text of `qsen-pki`. */
export const USAGE = `Usage: qsen-pki <command> [options]

Commands:
  init [--home DIR] [--host NAME]... [--organization O] [--cluster-only]
        create the state folder's pki/ and senebi/ material (--cluster-only: pki/ only); never replaces existing keys
  issue-client --role platform|operator|auditor --name NAME [--home DIR] [--days N] [--p12 | --p12-pass-file FILE]
        issue pki/clients/NAME.crt and .key (with --p12 also NAME.p12 and its password in NAME.p12.pass;
        with --p12-pass-file NAME.p12 protected by the passphrase read from FILE, never printed or stored)
  revoke FILE | --serial HEX [--home DIR]
        revoke a certificate of the cluster CA and rewrite pki/crl.pem
  renew server|NAME [--home DIR] [--host NAME]... [--days N] [--revoke-old]
        new key and certificate with the same subject; the old pair goes to pki/archive/
  info FILE [--json]
        show a certificate or CRL file (table, or JSON with --json)
  crl [--home DIR] [--json] [--renew]
        list revoked certificates; --renew rewrites the CRL with a fresh next-update date
  help  show this text

--home defaults to $QSEN_HOME, else .qsen-local. Exit codes: 0 done, 1 failed, 2 usage error.
`;

class UsageError extends Error {}

const home = { type: 'string' } as const;
const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  init: { home, host: { type: 'string', multiple: true }, organization: { type: 'string' }, 'cluster-only': { type: 'boolean' } },
  'issue-client': { home, role: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, p12: { type: 'boolean' }, 'p12-pass-file': { type: 'string' } },
  revoke: { home, serial: { type: 'string' } },
  renew: { home, host: { type: 'string', multiple: true }, days: { type: 'string' }, 'revoke-old': { type: 'boolean' } },
  info: { json: { type: 'boolean' } },
  crl: { home, json: { type: 'boolean' }, renew: { type: 'boolean' } },
};

type Values = Record<string, string | boolean | string[] | undefined>;

function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function requireOption(values: Values, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

function daysOption(values: Values): number | undefined {
  const text = stringOption(values, 'days');
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,4}$/.test(text)) throw new UsageError('--days must be a positive whole number of days');
  return Number(text);
}

function hostsOption(values: Values): string[] {
  const hosts = values['host'];
  return Array.isArray(hosts) ? hosts : [];
}

function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PkiError('NOT_FOUND', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

/** The smallest passphrase --p12-pass-file accepts. */
export const MIN_P12_PASSPHRASE = 12;

/** Reads a PKCS#12 passphrase from a file: its first line, without the line end (12 to 1024 characters). */
function readPassphraseFile(path: string): string {
  const passphrase = (readInputFile(path).split(/\r?\n/)[0] ?? '');
  if (passphrase.length < MIN_P12_PASSPHRASE || passphrase.length > 1024) {
    throw new PkiError('INVALID_ARGUMENT', `the passphrase in ${path} must be ${MIN_P12_PASSPHRASE} to 1024 characters on its first line`);
  }
  return passphrase;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function runCommand(command: string, values: Values, positionals: string[], io: CliIo): number {
  const now = io.now?.() ?? new Date();
  const homeDir = resolve(stringOption(values, 'home') ?? io.defaultHome);
  const noPositionals = (): void => {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  };
  switch (command) {
    case 'init': {
      noPositionals();
      const report = initClusterPki(homeDir, { hosts: hostsOption(values), organization: stringOption(values, 'organization'), now, includeSenebi: values['cluster-only'] !== true });
      const lines = [...report.created.map((rel) => `created  ${rel}`), ...report.kept.map((rel) => `kept     ${rel}`)];
      io.stdout(`${lines.join('\n')}\n${report.created.length} created, ${report.kept.length} kept in ${homeDir}\n`);
      return EXIT.ok;
    }
    case 'issue-client': {
      noPositionals();
      const role = parseRole(requireOption(values, 'role'));
      const name = validateClientName(requireOption(values, 'name'));
      const passFile = stringOption(values, 'p12-pass-file');
      const chosen = passFile === undefined ? undefined : readPassphraseFile(passFile);
      const p12Password = chosen ?? (values['p12'] === true ? randomBytes(18).toString('base64url') : undefined);
      if (chosen === undefined && p12Password !== undefined && readOptional(resolveIn(homeDir, clientFiles(name).p12Password)) !== undefined) {
        throw new PkiError('ALREADY_EXISTS', `${clientFiles(name).p12Password} already exists`);
      }
      const issued = issueClientIdentity(homeDir, role, name, { validDays: daysOption(values), now, p12Password });
      let text = `issued ${issued.certPath} and ${issued.keyPath} (role ${role}, serial ${issued.serial}, valid until ${issued.notAfter})\n`;
      if (chosen !== undefined && issued.p12Path !== undefined) {
        text += `PKCS#12 ${issued.p12Path}, protected by the passphrase in ${passFile ?? ''} (not printed, not stored)\n`;
      } else if (p12Password !== undefined && issued.p12Path !== undefined) {
        const passRel = clientFiles(name).p12Password;
        writeNewFile(resolveIn(homeDir, passRel), `${p12Password}\n`, MODES.privateFile);
        text += `PKCS#12 ${issued.p12Path}, password: ${p12Password}\n(shown once; also stored in ${passRel}, mode 0600: hand it over separately, then delete it)\n`;
      }
      io.stdout(text);
      return EXIT.ok;
    }
    case 'revoke': {
      const serial = stringOption(values, 'serial');
      if ((serial === undefined) === (positionals.length === 0) || positionals.length > 1) throw new UsageError('revoke takes one certificate FILE or --serial HEX');
      const target = serial ?? readInputFile(positionals[0] ?? '');
      const result = revokeCertificate(homeDir, target, { now });
      io.stdout(result.alreadyRevoked
        ? `serial ${result.serial} was already revoked (CRL number ${result.crlNumber})\n`
        : `revoked serial ${result.serial}; ${CLUSTER_PKI_FILES.crl} rewritten (CRL number ${result.crlNumber}); in force on every node within ${CRL_TAKES_EFFECT_WITHIN_S} s (they watch the file, no restart); check with "qsenctl status" (CRL column)\n`);
      return EXIT.ok;
    }
    case 'renew': {
      if (positionals.length !== 1) throw new UsageError('renew takes one target: "server" or a client name');
      const result = renewIdentity(homeDir, positionals[0] ?? '', { hosts: hostsOption(values), validDays: daysOption(values), now, revokeOld: values['revoke-old'] === true });
      io.stdout(`renewed ${result.target}: serial ${result.oldSerial} -> ${result.newSerial}, valid until ${result.notAfter}\narchived ${result.archived.join(', ')}${result.oldRevoked ? `\nrevoked the old serial ${result.oldSerial}` : ''}\n`);
      return EXIT.ok;
    }
    case 'info': {
      if (positionals.length !== 1) throw new UsageError('info takes one FILE');
      const text = readInputFile(positionals[0] ?? '');
      if (text.includes('-----BEGIN X509 CRL-----')) {
        const info = describeCrl(text);
        io.stdout(values['json'] === true
          ? json({ ...info, issuerDer: undefined, thisUpdate: info.thisUpdate.toISOString(), nextUpdate: info.nextUpdate?.toISOString(), revoked: info.revoked.map((r) => ({ serial: r.serial, revokedAt: r.revokedAt.toISOString() })) })
          : formatCrlInfo(info));
        return EXIT.ok;
      }
      const info = describeCertificate(text, now);
      io.stdout(values['json'] === true ? json(info) : formatCertificateInfo(info));
      return EXIT.ok;
    }
    case 'crl': {
      noPositionals();
      if (values['renew'] === true) {
        const renewed = renewCrl(homeDir, { now });
        io.stdout(`${CLUSTER_PKI_FILES.crl} rewritten (CRL number ${renewed.crlNumber}, next update ${renewed.nextUpdate})\n`);
        return EXIT.ok;
      }
      const crlText = readOptional(resolveIn(homeDir, CLUSTER_PKI_FILES.crl));
      if (crlText === undefined && readOptional(resolveIn(homeDir, CLUSTER_PKI_FILES.revocations)) === undefined) {
        throw new PkiError('NOT_FOUND', `no ${CLUSTER_PKI_FILES.crl} or ${CLUSTER_PKI_FILES.revocations} in ${homeDir} (run "qsen-pki init" first)`);
      }
      const record = listRevoked(homeDir);
      const crl = crlText === undefined ? undefined : describeCrl(crlText);
      io.stdout(values['json'] === true
        ? json({ crlNumber: record.crlNumber, nextUpdate: crl?.nextUpdate?.toISOString() ?? null, revoked: record.revoked })
        : formatRevocationRecord(record, crl));
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/** Runs `qsen-pki` with the arguments after the program name; returns the exit code (0 done, 1 failed, 2 usage). */
export function runCli(argv: string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    const options = OPTIONS[command];
    if (!options) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return runCommand(command, parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`qsen-pki: ${err.message}\nRun "qsen-pki help" for the commands and options.\n`);
      return EXIT.usage;
    }
    if (err instanceof PkiError) {
      io.stderr(`qsen-pki: ${err.code}: ${err.message}\n`);
      return EXIT.failed;
    }
    const e = err as NodeJS.ErrnoException;
    io.stderr(`qsen-pki: ${e.code ?? 'ERROR'}: ${e.message}\n`);
    return EXIT.failed;
  }
}

/**
 * Why a child process failed to start, in one line with the fix, read from the last lines it
 * wrote on stderr. The nodes print a stable shape there before they exit: kan `kan: cannot
 * listen: listen EADDRINUSE ...` / `kan: bad configuration FILE:` (exit 2), qsen `qsen: invalid
 * configuration FILE (N problems):` (exit 2) / `qsen: cannot start: SENEBI identity:
 * WRONG_PASSPHRASE: ...` (exit 1), the simulator `senebi simulator: MESSAGE` (exit 1). Pure.
 */
import type { ProcessExit, OwnedProcessName } from '@qsen/kan';

/** What went wrong and what to do about it. */
export interface StartFailure {
  /** A stable word for scripts and tests. */
  readonly kind: 'port-in-use' | 'port-forbidden' | 'bad-config' | 'wrong-passphrase' | 'broken-certificate' | 'journal' | 'other';
  readonly cause: string;
  readonly fix: string;
}

/** What the diagnosis reads. */
export interface StartFailureInput {
  readonly name: OwnedProcessName;
  /** The child's last stderr lines, oldest first. */
  readonly stderr: readonly string[];
  readonly exit: ProcessExit;
  readonly configFile: string;
  readonly logsDir: string;
}

function portSetting(name: OwnedProcessName): string {
  if (name === 'qsen') return '[server] qsen_port';
  if (name === 'simulator') return '[senebi] url';
  if (name === 'node_exporter') return '[node_exporter] url';
  return '[server] kan_ports';
}

/**
 * The recognised cause, or null when the stderr lines name none. With `complete` false (more
 * lines may follow) a configuration header without its problem lines is not yet a cause.
 */
export function recogniseStartFailure(input: StartFailureInput, { complete = true }: { complete?: boolean } = {}): StartFailure | null {
  const { name, stderr, configFile } = input;
  const text = stderr.join('\n');
  const inUse = /EADDRINUSE[^\n]*?:(\d+)\b/.exec(text) ?? (/address already in use[^\n]*?:(\d+)\b/.exec(text));
  if (inUse || /EADDRINUSE|address already in use/.test(text)) {
    const port = inUse?.[1] ?? '?';
    return {
      kind: 'port-in-use',
      cause: `port ${port} is already in use by another program (EADDRINUSE)`,
      fix: `stop that program (ss -ltnp 'sport = :${port}' names it) or give ${name} another port in ${configFile} (${portSetting(name)})`,
    };
  }
  const forbidden = /EACCES[^\n]*?:(\d+)\b/.exec(text);
  if (forbidden) {
    return { kind: 'port-forbidden', cause: `port ${forbidden[1]} may not be bound by this user (EACCES)`, fix: `use a port above 1023 in ${configFile} (${portSetting(name)})` };
  }
  const badConfig = stderr.findIndex((l) => /invalid configuration \S+ \(\d+ problems?\)|bad configuration \S+:/.test(l));
  if (badConfig >= 0) {
    const header = stderr[badConfig] ?? '';
    const file = /configuration (\S+?):? /.exec(`${header} `)?.[1]?.replace(/:$/, '') ?? configFile;
    const details = stderr.slice(badConfig + 1).filter((l) => l.trim().length > 0 && !/invalid configuration/.test(l));
    if (details.length === 0 && !complete) return null;
    const first = details[0]?.trim() ?? header.trim();
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    return { kind: 'bad-config', cause: `bad configuration ${file}: ${first}${more}`, fix: `edit ${file}, then check it with: node_modules/.bin/qsen-config check ${file}` };
  }
  const passphrase = stderr.find((l) => /WRONG_PASSPHRASE/.test(l));
  if (passphrase) {
    return {
      kind: 'wrong-passphrase',
      cause: `wrong passphrase: ${passphrase.replace(/^.*WRONG_PASSPHRASE:\s*/, '')}`,
      fix: `put the key's passphrase in the [senebi] passphrase_file of ${configFile} (a new QSEN_HOME gets a matching pair from npm run init)`,
    };
  }
  const certificate = stderr.find((l) => /KEY_CERTIFICATE_MISMATCH|SENEBI identity|PEM routines|x509|key values mismatch|certificate|CERT_|ERR_OSSL/i.test(l));
  if (certificate) {
    return {
      kind: 'broken-certificate',
      cause: `broken certificate or key: ${certificate.replace(/^(kan|qsen|senebi simulator): (cannot (start|listen): )?/, '').trim()}`,
      fix: `check the files named in [tls] and [senebi] of ${configFile} (openssl x509 -noout -subject -enddate -in FILE); renew them as docs/operator.md (Certificates) says`,
    };
  }
  const journal = stderr.find((l) => /JOURNAL_CORRUPT|JOURNAL_UNREADABLE|cannot open the journal/.test(l));
  if (journal) return { kind: 'journal', cause: journal.replace(/^qsen: cannot start: /, '').trim(), fix: 'read docs/operator.md (Troubleshooting) before touching the journal file' };
  return null;
}

/** The recognised cause, else the last stderr line with a pointer to the logs; null with nothing to say. */
export function diagnoseStartFailure(input: StartFailureInput): StartFailure | null {
  const known = recogniseStartFailure(input);
  if (known) return known;
  const last = [...input.stderr].reverse().find((l) => l.trim().length > 0);
  if (!last) return null;
  return { kind: 'other', cause: last.trim(), fix: `see ${input.name}-*.log and launcher-*.log in ${input.logsDir}` };
}

/** The one terminal line. */
export function describeStartFailure(name: OwnedProcessName, exit: ProcessExit, failure: StartFailure): string {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  return `launcher: ${name} cannot start (${how}): ${failure.cause}. Fix: ${failure.fix}`;
}

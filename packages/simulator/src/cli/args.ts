/**
 * The simulator's command line: `--home DIR [--port N]` (also `--home=DIR`, `--port=N`).
 */
import { resolve } from 'node:path';
import { simulatorErrors } from '../errors.js';

/** The parsed command line. */
export interface SimulatorArgs {
  readonly home: string;
  readonly port: number | undefined;
}

/** The usage line printed on a bad command line. */
export const USAGE = 'usage: senebi-sim --home DIR [--port N]';

/** Parses the arguments after the script name; throws INVALID_ARGUMENTS. */
export function parseArgs(argv: readonly string[], cwd: string): SimulatorArgs {
  let home: string | undefined;
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw simulatorErrors.create('INVALID_ARGUMENTS', `${name} needs a value; ${USAGE}`);
    if (name === '--home') home = resolve(cwd, value);
    else if (name === '--port') {
      if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) throw simulatorErrors.create('INVALID_ARGUMENTS', `--port must be 0..65535; ${USAGE}`);
      port = Number(value);
    } else throw simulatorErrors.create('INVALID_ARGUMENTS', `unknown argument ${name}; ${USAGE}`);
  }
  if (home === undefined) throw simulatorErrors.create('INVALID_ARGUMENTS', `--home is required; ${USAGE}`);
  return { home, port };
}

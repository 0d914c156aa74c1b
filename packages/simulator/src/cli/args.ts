/**
 * The simulator's command line: `--home DIR [--port N]` (also `--home=DIR`, `--port=N`), read with node:util parseArgs.
 */
import { resolve } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { simulatorErrors } from '../errors.js';
import { errorMessage } from '@qsen/core/errors';

/** The parsed command line. */
export interface SimulatorArgs {
  readonly home: string;
  readonly port: number | undefined;
}

/** The usage line printed on a bad command line. */
export const USAGE = 'usage: senebi-sim --home DIR [--port N]';

/** Parses the arguments after the script name (node:util parseArgs); throws INVALID_ARGUMENTS. */
export function parseArgs(argv: readonly string[], cwd: string): SimulatorArgs {
  let values: { home?: string; port?: string };
  try {
    ({ values } = parseCommandLine({ args: [...argv], options: { home: { type: 'string' }, port: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw simulatorErrors.create('INVALID_ARGUMENTS', `${errorMessage(err)}; ${USAGE}`);
  }
  if (values.home === undefined) throw simulatorErrors.create('INVALID_ARGUMENTS', `--home is required; ${USAGE}`);
  if (values.port !== undefined && (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535)) {
    throw simulatorErrors.create('INVALID_ARGUMENTS', `--port must be 0..65535; ${USAGE}`);
  }
  return { home: resolve(cwd, values.home), port: values.port === undefined ? undefined : Number(values.port) };
}

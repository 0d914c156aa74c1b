/**
 * Which npm packages a child process loads: run it with
 * `node --import <PACKAGE_TRACE_REGISTER> ...` and QSEN_PACKAGE_TRACE=<file>; every ES module
 * it resolves under node_modules (and every CommonJS file required from there) appends its
 * package name to that file, prefixed with WORKER_PREFIX when a worker thread loaded it. Tests
 * use it to check what an idle process carries in its main thread.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the trace lists when the process made an Intl.DateTimeFormat (not a package). */
export const INTL_DATE_FORMAT = '(Intl.DateTimeFormat)';

/** Prefix of what a worker thread (not the process's main thread) loaded: "worker:zod". */
export const WORKER_PREFIX = 'worker:';

/** One trace line: the package name, prefixed when a worker thread loaded it. */
export function traceLine(name: string, worker: boolean): string {
  return worker ? `${WORKER_PREFIX}${name}` : name;
}

/** The `--import` argument that turns the trace on (its dist/src/package-trace-register.js). */
export const PACKAGE_TRACE_REGISTER = fileURLToPath(new URL('./package-trace-register.js', import.meta.url));

/** The package name in a module URL or path under node_modules ("@scope/name" or "name"), else undefined. */
export function packageOfModule(location: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(location);
  return match?.[1];
}

/** The distinct packages a trace file lists. */
export function readPackageTrace(file: string): Set<string> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  return new Set(text.split('\n').filter((line) => line !== ''));
}

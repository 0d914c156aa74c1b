/** Module hooks of the package trace (package-trace.ts), run in Node's loader thread. */
import { appendFileSync } from 'node:fs';
import { packageOfModule, traceLine } from './package-trace.js';

let file = '';
let worker = false;
const seen = new Set<string>();

/** Receives the trace file, and whether the hooks serve a worker thread, from package-trace-register.ts. */
export function initialize(data: { file: string; worker: boolean }): void {
  file = data.file;
  worker = data.worker;
}

/** Records the package of every module resolved under node_modules. */
export async function resolve(
  specifier: string, context: unknown, next: (specifier: string, context: unknown) => Promise<{ url: string }>,
): Promise<{ url: string }> {
  const result = await next(specifier, context);
  const name = packageOfModule(result.url);
  if (name !== undefined && !seen.has(name)) {
    seen.add(name);
    appendFileSync(file, `${traceLine(name, worker)}\n`);
  }
  return result;
}

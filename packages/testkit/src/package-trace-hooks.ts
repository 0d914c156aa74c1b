/** Module hooks of the package trace (package-trace.ts), run in Node's loader thread. */
import { appendFileSync } from 'node:fs';
import { packageOfModule } from './package-trace.js';

let file = '';
const seen = new Set<string>();

/** Receives the trace file from package-trace-register.ts. */
export function initialize(data: { file: string }): void {
  file = data.file;
}

/** Records the package of every module resolved under node_modules. */
export async function resolve(
  specifier: string, context: unknown, next: (specifier: string, context: unknown) => Promise<{ url: string }>,
): Promise<{ url: string }> {
  const result = await next(specifier, context);
  const name = packageOfModule(result.url);
  if (name !== undefined && !seen.has(name)) {
    seen.add(name);
    appendFileSync(file, `${name}\n`);
  }
  return result;
}

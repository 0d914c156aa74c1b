/** `--import` entry of the package trace (package-trace.ts): hooks ES module resolution and CommonJS loading. */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { packageOfModule } from './package-trace.js';

const file = process.env['QSEN_PACKAGE_TRACE'];
if (file !== undefined && file !== '') {
  register(new URL('./package-trace-hooks.js', import.meta.url), { data: { file } });
  // CommonJS files loaded from node_modules (packages that require() their dependencies).
  const cjs = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown; _resolveFilename(request: string, parent: unknown): string };
  const original = cjs._load.bind(cjs);
  const seen = new Set<string>();
  cjs._load = (request, parent, isMain) => {
    try {
      const name = packageOfModule(cjs._resolveFilename(request, parent));
      if (name !== undefined && !seen.has(name)) {
        seen.add(name);
        appendFileSync(file, `${name}\n`);
      }
    } catch {
      // a built-in or an unresolvable request: the real load below reports it
    }
    return original(request, parent, isMain);
  };
}

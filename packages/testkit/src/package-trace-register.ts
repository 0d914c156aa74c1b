/**
 * `--import` entry of the package trace (package-trace.ts): hooks ES module resolution and
 * CommonJS loading, and records INTL_DATE_FORMAT when an Intl.DateTimeFormat is made (ICU's
 * date data, about 8 MiB a process). Run again in each worker thread (workers inherit --import),
 * where it records under WORKER_PREFIX.
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { INTL_DATE_FORMAT, packageOfModule, traceLine } from './package-trace.js';

const file = process.env['QSEN_PACKAGE_TRACE'];
if (file !== undefined && file !== '') {
  register(new URL('./package-trace-hooks.js', import.meta.url), { data: { file, worker: !isMainThread } });
  // CommonJS files loaded from node_modules (packages that require() their dependencies).
  const cjs = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown; _resolveFilename(request: string, parent: unknown): string };
  const original = cjs._load.bind(cjs);
  const seen = new Set<string>();
  cjs._load = (request, parent, isMain) => {
    try {
      const name = packageOfModule(cjs._resolveFilename(request, parent));
      if (name !== undefined && !seen.has(name)) {
        seen.add(name);
        appendFileSync(file, `${traceLine(name, !isMainThread)}\n`);
      }
    } catch {
      // a built-in or an unresolvable request: the real load below reports it
    }
    return original(request, parent, isMain);
  };
  const Original = Intl.DateTimeFormat;
  let recorded = false;
  const record = (): void => {
    if (!recorded) {
      recorded = true;
      appendFileSync(file, `${traceLine(INTL_DATE_FORMAT, !isMainThread)}\n`);
    }
  };
  Intl.DateTimeFormat = new Proxy(Original, {
    construct: (target, args: unknown[]) => { record(); return Reflect.construct(target, args) as object; },
    apply: (target, self, args: unknown[]) => { record(); return Reflect.apply(target, self, args) as unknown; },
  });
}

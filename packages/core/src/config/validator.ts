/**
 * The configuration validator's two packages, zod and @iarna/toml, loaded through CommonJS on
 * the first validation, so that a process that validates once (a kan, at start) can let them go:
 * releaseConfigValidator() drops them from require's cache, and once nothing refers to them the
 * garbage collector takes their modules, their sources and the schema (about 3.5 MB of an idle
 * kan's heap, 3 MiB of its resident memory; docs/kan.md, "Memory"). ES modules, once imported, are never freed.
 * After a release the next validation loads them again (and its cost with them).
 */
import { createRequire } from 'node:module';
import type TomlModule from '@iarna/toml';
import type { z as Zod } from 'zod';

/** What the validator uses: zod's namespace and the TOML parser. */
export interface ConfigValidator {
  readonly z: typeof Zod;
  readonly toml: typeof TomlModule;
}

/** The packages the validator loads, by the name require() takes. */
export const CONFIG_VALIDATOR_PACKAGES = ['zod', '@iarna/toml'] as const;

/** zod 4 keeps its configuration and schema registry on globalThis under these names (zod/v4/core). */
const ZOD_GLOBALS = ['__zod_globalConfig', '__zod_globalRegistry'] as const;

/**
 * The loaded packages, with the require() that loaded them: its parent module lists them among
 * its children, so it must go with them (a require() made once for the module would keep them).
 */
let loaded: { validator: ConfigValidator; require: NodeJS.Require } | undefined;

/** The validator's packages, loaded on first use. */
export function loadConfigValidator(): ConfigValidator {
  if (!loaded) {
    const load = createRequire(import.meta.url);
    loaded = { validator: { z: (load('zod') as { z: typeof Zod }).z, toml: load('@iarna/toml') as typeof TomlModule }, require: load };
  }
  return loaded.validator;
}

/** Whether a file path belongs to one of the validator's packages. */
export function isConfigValidatorFile(file: string): boolean {
  return CONFIG_VALIDATOR_PACKAGES.some((name) => file.includes(`/node_modules/${name}/`));
}

/**
 * Lets the validator's packages go (a process that will not validate again: a kan after its
 * start). zod's two globals go too: they hold its registry and its error messages, and through
 * them four of its modules. A copy of zod imported as an ES module in the same process (the
 * simulator's settings) shares those globals and keeps working (it holds its own references),
 * and keeps alive what of the CommonJS copy they reach.
 */
export function releaseConfigValidator(): void {
  if (!loaded) return;
  const { cache } = loaded.require;
  loaded = undefined;
  for (const file of Object.keys(cache)) if (isConfigValidatorFile(file)) delete cache[file];
  for (const name of ZOD_GLOBALS) Reflect.deleteProperty(globalThis, name);
}

/**
 * loadConfigOffThread: conf.toml read and validated (load.ts) in a worker thread, so that the
 * caller's thread never loads zod or @iarna/toml. Their code and heap (about 8 MiB of RSS in a
 * node) are freed when the worker ends; the caller gets the same frozen QsenConfig, or the same
 * ConfigError, as loadConfig would give (packages/core/test/config-off-thread.test.ts).
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { deepFreeze } from './defaults.js';
import type { ParseConfigOptions } from './load.js';
import type { QsenConfig } from './types.js';

/** What the worker posts back: the configuration, a ConfigError's content, or another error's message. */
export type ConfigResult =
  | { readonly ok: true; readonly config: QsenConfig }
  | { readonly ok: false; readonly file: string; readonly problems: ReadonlyArray<ConfigProblem> }
  | { readonly ok: false; readonly message: string };

/** Turns the worker's answer into loadConfig's outcome: the frozen config, or the error thrown. */
export function settleConfigResult(result: ConfigResult): QsenConfig {
  if (result.ok) return deepFreeze(result.config);
  if ('problems' in result) throw new ConfigError(result.file, result.problems);
  throw new Error(result.message);
}

/** Reads and validates conf.toml like loadConfig, in a worker thread; rejects with ConfigError on a bad file. */
export function loadConfigOffThread(file: string, options: ParseConfigOptions = {}): Promise<QsenConfig> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { file, options } });
    let settled = false;
    worker.once('message', (result: ConfigResult) => {
      settled = true;
      try {
        resolvePromise(settleConfigResult(result));
      } catch (err) {
        reject(err);
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the configuration worker ended (exit code ${code}) without an answer`));
    });
  });
}

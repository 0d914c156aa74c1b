/**
 * The worker thread of loadConfigOffThread (off-thread.ts): loads the validator, reads and
 * validates one conf.toml, posts the result (a ConfigResult) and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './config-error.js';
import { loadConfig, type ParseConfigOptions } from './load.js';
import type { ConfigResult } from './off-thread.js';

const { file, options } = workerData as { file: string; options: ParseConfigOptions };
let result: ConfigResult;
try {
  result = { ok: true, config: loadConfig(file, options) };
} catch (err) {
  result = err instanceof ConfigError
    ? { ok: false, file: err.file, problems: err.problems }
    : { ok: false, message: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(result);

/**
 * Reads conf.toml: parse TOML, validate against the one schema, fill defaults, resolve paths,
 * report every problem at once, freeze the result (CONVENTIONS #6).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { deepFreeze } from './defaults.js';
import { createConfigSchema } from './schema.js';
import { loadConfigValidator } from './validator.js';
import type { QsenConfig } from './types.js';

/** Options of parseConfig. */
export interface ParseConfigOptions {
  /** Check that the SENEBI identity and TLS files exist (default true; `qsen-config render` turns it off). */
  readonly checkFiles?: boolean;
}

function describeTomlError(err: unknown): string {
  if (!(err instanceof Error)) return 'not valid TOML';
  const { line, col } = err as Error & { line?: unknown; col?: unknown };
  const first = (err.message.split('\n')[0] ?? '').replace(/ at row \d+, col \d+, pos \d+:?$/, '');
  const where = typeof line === 'number' && typeof col === 'number' ? ` (line ${line + 1}, column ${col + 1})` : '';
  // @iarna/toml cannot read bare dates inside arrays (holidays = [2026-12-25]).
  const hint = /datetime/i.test(first) ? ' (write dates as strings: "YYYY-MM-DD")' : '';
  return `not valid TOML${where}: ${first}${hint}`;
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return 'an integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a float';
  if (typeof value === 'object') return 'a table';
  return `a ${typeof value}`;
}

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required key missing';
    const expected = issue.expected === 'object' ? 'a table' : issue.expected === 'array' ? 'an array' : `a ${String(issue.expected)}`;
    return `expected ${expected}, got ${describeType(issue.input)}`;
  }
  return undefined;
}

function toProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: path === '' ? key : `${path}.${key}`, message: 'unknown key' });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

/** Parses conf.toml text; relative paths resolve against dirname(file). Throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, options: ParseConfigOptions = {}): QsenConfig {
  const absoluteFile = resolve(file);
  let raw: unknown;
  try {
    raw = loadConfigValidator().toml.parse(text);
  } catch (err) {
    throw new ConfigError(absoluteFile, [{ path: '', message: describeTomlError(err) }]);
  }
  const schema = createConfigSchema({ baseDir: dirname(absoluteFile), checkFiles: options.checkFiles ?? true });
  const result = schema.safeParse(raw, { error: describeIssue });
  if (!result.success) throw new ConfigError(absoluteFile, toProblems(result.error.issues));
  const config: QsenConfig = { ...result.data, file: absoluteFile };
  return deepFreeze(config);
}

/** Reads and parses a conf.toml file. Throws ConfigError (also when the file cannot be read). */
export function loadConfig(file: string, options: ParseConfigOptions = {}): QsenConfig {
  const absoluteFile = resolve(file);
  let text: string;
  try {
    text = readFileSync(absoluteFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(absoluteFile, [{ path: '', message: code === 'ENOENT' ? `file not found: ${absoluteFile}` : `cannot read ${absoluteFile} (${code ?? 'error'})` }]);
  }
  return parseConfig(text, absoluteFile, options);
}

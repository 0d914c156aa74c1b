/** The error a bad conf.toml raises: every problem at once, each with its dotted key path. */

/** One problem of a configuration file: the dotted key path ("schedule.stop", "" for the whole file) and what is wrong. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** Formats one problem as "key.path: message" (just the message for the whole file). */
export function formatConfigProblem(problem: ConfigProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

/**
 * A configuration that cannot be used. `message` names the file, then lists every problem,
 * one per line ("senebi.ca: file not found: /x/y"); `problems` holds them for programs.
 */
export class ConfigError extends Error {
  readonly file: string;
  readonly problems: ReadonlyArray<ConfigProblem>;

  constructor(file: string, problems: ReadonlyArray<ConfigProblem>) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`invalid configuration ${file} (${count}):`, ...problems.map(formatConfigProblem)].join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ path: p.path, message: p.message })));
  }
}

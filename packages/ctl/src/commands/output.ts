/** Where a command writes: JSON on stdout with `--json`, text otherwise; notes on stderr. */
import { stringifyJsonLossless } from '@qsen/core/json';

/** A writable text stream (stdout, stderr, or a test double). */
export interface TextOutput {
  write(text: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
}

/** The output of one command. */
export interface CommandOutput {
  readonly json: boolean;
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  /** Writes one JSON document (one line, exact numbers) on stdout. */
  data(value: unknown): void;
  /** Writes human text on stdout. */
  text(text: string): void;
  /** Writes a note for a human on stderr. */
  note(text: string): void;
}

/** Creates the output of one command. */
export function createOutput(json: boolean, stdout: TextOutput, stderr: TextOutput): CommandOutput {
  return {
    json,
    stdout,
    stderr,
    data(value) {
      stdout.write(`${stringifyJsonLossless(value)}\n`);
    },
    text(text) {
      stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    },
    note(text) {
      stderr.write(`${text}\n`);
    },
  };
}

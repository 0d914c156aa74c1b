/**
 * The one "ready" line `npm start` prints once every started process answers: the node URLs and
 * the browser console's address, and the curl command to try. The same single line on a terminal and in a pipe; on a terminal it is
 * bold green (unless NO_COLOR is set), in a pipe it stays plain so `grep '^launcher: READY'` works.
 * Pure text builders.
 */
import type { QsenConfig } from '@qsen/core/config';
import type { WindowDescription } from '@qsen/core/schedule';
import type { OwnedProcessName } from '@qsen/kan';
import { buildCurlCommand } from './summary.js';

/** The fixed start of the ready line (what scripts and tests look for). */
export const READY_PREFIX = 'launcher: READY';

/** What the ready line needs. */
export interface ReadyLineInput {
  readonly home: string;
  readonly config: QsenConfig;
  /** The window at start, in words (core's describeWindow). */
  readonly window: WindowDescription;
  /** The processes that answered (every started one). */
  readonly answering: readonly OwnedProcessName[];
}

/** The ready line, without colour. */
export function describeReady({ home, config, window, answering }: ReadyLineInput): string {
  const qsenUrl = `https://localhost:${config.server.qsen_port}`;
  const kanUrls = config.server.kan_ports.map((port) => `https://localhost:${port}`);
  const qsen = window.open ? `qsen ${qsenUrl}` : `qsen down (outside the trading window; the kans start it${window.nextChangeLocal === null ? ' when it opens' : ` at ${window.nextChangeLocal}`})`;
  const curl = window.open ? buildCurlCommand(home, `${qsenUrl}/qsen/v1/status`) : buildCurlCommand(home, `${kanUrls[0]}/kan/v1/status`);
  return `${READY_PREFIX}: every process answers (${answering.join(', ')}) | ${qsen} | kans ${kanUrls.join(' ')} | console ${kanUrls[0]}/kan/v1/console/ | try: ${curl}`;
}

/** Wraps the line in bold green for a terminal; plain when `color` is false. */
export function paintReady(line: string, color: boolean): string {
  return color ? `\u001b[1;32m${line}\u001b[0m` : line;
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
}

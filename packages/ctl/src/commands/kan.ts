/** The kan commands: restarts, metrics, version, fixed commands. */
import type { QsenClient } from '../client/client.js';
import { CtlError } from '../errors.js';
import { parsePrometheusText } from '../render/metrics.js';
import { renderPairs } from '../render/table.js';
import { asRecord, flattenForDisplay, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** The kans to ask, in order: `--node K` only, else a preferred order. */
export function chooseKans(via: number | undefined, preferred: readonly number[]): number[] {
  return via === undefined ? [...preferred] : [via];
}

/** Calls the first kan of `order` that can be reached (connection failures move on; answers do not). */
async function callFirstKan<T>(client: QsenClient, order: readonly number[], call: (kan: number) => Promise<T>): Promise<{ kan: number; value: T }> {
  let last: unknown;
  for (const kan of order) {
    try {
      return { kan, value: await call(kan) };
    } catch (err) {
      if (err instanceof CtlError && err.kind === 'connection' && err.code !== 'CLIENT_CERTIFICATE_REFUSED' && err.code !== 'SERVER_CERTIFICATE_UNTRUSTED') {
        last = err;
        continue;
      }
      throw err;
    }
  }
  throw last;
}

/** `restart qsen` / `restart kan N`: 202 from the kan asked; the restart runs in the background. */
export async function runRestart(client: QsenClient, out: CommandOutput, opts: { target: 'qsen' } | { target: 'kan'; node: number }, via: number | undefined): Promise<void> {
  const order = opts.target === 'qsen'
    ? chooseKans(via, [0, 1, 2])
    : chooseKans(via, [(opts.node + 1) % 3, (opts.node + 2) % 3, opts.node]);
  const path = opts.target === 'qsen' ? '/kan/v1/restart_qsen' : '/kan/v1/restart_kan';
  const query = opts.target === 'kan' ? { node: opts.node } : undefined;
  const { kan, value } = await callFirstKan(client, order, (k) => client.callJson(client.kan(k), path, { method: 'POST', ...(query ? { query } : {}) }));
  const ticket = asRecord(value);
  const what = opts.target === 'qsen' ? 'qsen' : `kan ${opts.node}`;
  if (out.json) out.data({ ...ticket, via: kan });
  else out.text(`restart of ${what} requested via kan ${kan}${ticket['coalesced'] === true ? ' (joined a restart already under way)' : ''}; request ${formatScalar(ticket['requestId'])}`);
}

/** `metrics qsen | kan N | system`: Prometheus text, or parsed families with --json. */
export async function runMetrics(client: QsenClient, out: CommandOutput, opts: { target: 'qsen' | 'kan' | 'system'; via: number }): Promise<void> {
  const { text } = opts.target === 'qsen'
    ? await client.callText(client.qsen, '/qsen/v1/metrics/process')
    : await client.callText(client.kan(opts.via), opts.target === 'system' ? '/kan/v1/metrics/system' : '/kan/v1/metrics/process');
  if (out.json) out.data({ metrics: parsePrometheusText(text) });
  else out.stdout.write(text);
}

/** `version`. */
export async function runKanVersion(client: QsenClient, out: CommandOutput, via: number): Promise<void> {
  const answer = await client.callJson(client.kan(via), '/kan/v1/version');
  if (out.json) out.data(answer);
  else out.text(renderPairs(flattenForDisplay(asRecord(answer))));
}

/** `cmd top | ls`. */
export async function runFixedCommand(client: QsenClient, out: CommandOutput, command: 'top' | 'ls', via: number): Promise<void> {
  const { text, headers } = await client.callText(client.kan(via), `/kan/v1/cmd/${command}`);
  if (out.json) {
    out.data({ command: headers['x-command'] ?? command, exitCode: headers['x-exit-code'] ?? null, truncated: headers['x-output-truncated'] === 'true', output: text });
  } else out.stdout.write(text);
}

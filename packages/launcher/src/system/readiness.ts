/**
 * Tells when the started processes answer: the nodes' internal pings over loopback HTTPS
 * (verified against the cluster CA, no client certificate needed from loopback), the simulator's
 * ping with the agent's certificate (mutual TLS) and node_exporter's /metrics.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { decryptPrivateKey } from '@qsen/pki';
import type { QsenConfig } from '@qsen/core/config';
import type { OwnedProcessName } from '@qsen/kan';

/** One endpoint that answers 200 when its process is ready. */
export interface ReadinessProbe {
  readonly name: OwnedProcessName;
  readonly url: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The probes of the local system's processes (only those in `names`). */
export function buildReadinessProbes(config: QsenConfig, names: readonly OwnedProcessName[]): ReadinessProbe[] {
  const ca = readFileSync(config.tls.ca, 'utf8');
  const probes: ReadinessProbe[] = [];
  for (const name of names) {
    if (name === 'qsen') probes.push({ name, url: `https://127.0.0.1:${config.server.qsen_port}/qsen/v1/ping`, ca });
    if (name === 'kan0' || name === 'kan1' || name === 'kan2') {
      const port = config.server.kan_ports[Number(name.slice(3))];
      probes.push({ name, url: `https://127.0.0.1:${port}/kan/v1/ping`, ca });
    }
    if (name === 'simulator') {
      const passphrase = readFileSync(config.senebi.passphrase_file, 'utf8').trim();
      probes.push({
        name,
        url: new URL('/senebi/v1/ping', config.senebi.url).toString(),
        ca: readFileSync(config.senebi.ca, 'utf8'),
        cert: readFileSync(config.senebi.cert, 'utf8'),
        key: decryptPrivateKey(readFileSync(config.senebi.key, 'utf8'), passphrase),
      });
    }
    if (name === 'node_exporter') probes.push({ name, url: new URL('/metrics', config.node_exporter.url).toString() });
  }
  return probes;
}

/** One GET; true on HTTP 200 within `timeoutMs`. */
export function probeOnce(probe: ReadinessProbe, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL(probe.url);
    const onAnswer = (res: { statusCode?: number; resume(): void }): void => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = url.protocol === 'https:'
      ? httpsRequest(url, { agent: false, ca: probe.ca, cert: probe.cert, key: probe.key }, onAnswer)
      : httpRequest(url, { agent: false }, onAnswer);
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Probes until each answers or the deadline passes; calls `onReady` once per process that answers. Resolves with those still silent. */
export async function waitUntilAnswering(
  probes: readonly ReadinessProbe[],
  { timeoutMs, onReady, isCancelled }: { timeoutMs: number; onReady: (name: OwnedProcessName) => void; isCancelled?: () => boolean },
): Promise<OwnedProcessName[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...probes];
  while (pending.length > 0 && Date.now() < deadline && !(isCancelled?.() ?? false)) {
    const results = await Promise.all(pending.map(async (p) => ({ p, ok: await probeOnce(p) })));
    for (const { p, ok } of results) if (ok) onReady(p.name);
    pending = results.filter((r) => !r.ok).map((r) => r.p);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return pending.map((p) => p.name);
}

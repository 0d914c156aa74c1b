/**
 * Metrics: this kan's own (process + kan_*) at /metrics/process and its alias /metrics/golang;
 * node_exporter's proxied from loopback at /metrics/system through http-proxy (docs/kan.md,
 * "node_exporter proxy"):
 * - a dead exporter (refused) is 502 NODE_EXPORTER_UNAVAILABLE at once; a stalled one (accepts,
 *   never answers) is 502 after the proxy timeout, never an empty reply;
 * - no connection is kept between scrapes, so the first scrape after the exporter is back answers;
 * - at most NODE_EXPORTER_MAX_IN_FLIGHT scrapes are in flight: more are refused at once with
 *   503 NODE_EXPORTER_BUSY instead of queueing behind a stalled exporter.
 */
import express from 'express';
import type Server from 'http-proxy';
import { Agent, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { defineRoute, sendJson, ROLES } from '@qsen/core/http';
import type { LogSink } from '@qsen/core/logging';
import { metricsHandler } from '@qsen/core/metrics';
import { kanErrors } from '../errors.js';

/** The proxy timeout of /metrics/system: node_exporter answers in well under a second. */
export const NODE_EXPORTER_TIMEOUT_MS = 5_000;
/** Scrapes of /metrics/system in flight at once; the next ones are refused with 503. */
export const NODE_EXPORTER_MAX_IN_FLIGHT = 4;

/** The proxy target of /metrics/system (pure): node_exporter's base URL + /metrics. */
export function nodeExporterTarget(url: string): string {
  return `${url.replace(/\/+$/, '')}/metrics`;
}

/** The metrics endpoints; returns a closer for the proxy. */
export function createMetricsRoutes(deps: { registry: Registry; nodeExporterUrl: string; logger: LogSink; timeoutMs?: number; maxInFlight?: number }): { router: express.Router; close(): void } {
  const router = express.Router();
  const handler = metricsHandler(deps.registry);
  for (const path of ['/kan/v1/metrics/process', '/kan/v1/metrics/golang']) {
    defineRoute(router, path, { GET: { roles: ROLES, handler: (req, res) => handler(req, res) } });
  }
  const target = nodeExporterTarget(deps.nodeExporterUrl);
  const timeoutMs = deps.timeoutMs ?? NODE_EXPORTER_TIMEOUT_MS;
  const maxInFlight = deps.maxInFlight ?? NODE_EXPORTER_MAX_IN_FLIGHT;
  // No keep-alive: a socket kept from before an exporter restart would fail the first scrape after it.
  const agent = new Agent({ keepAlive: false, maxSockets: maxInFlight });
  let lastLogged = 0;
  let inFlight = 0;
  const fail = (err: Error, res: ServerResponse | Socket): void => {
    if (Date.now() - lastLogged > 60_000) {
      lastLogged = Date.now();
      deps.logger.warn('node_exporter unavailable', { target, error: err.message });
    }
    if (!('setHeader' in res)) { res.destroy(); return; }
    if (res.headersSent) { res.destroy(); return; }
    const reason = (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? `no answer within ${timeoutMs} ms` : (err as NodeJS.ErrnoException).code ?? err.message;
    sendJson(res, kanErrors.create('NODE_EXPORTER_UNAVAILABLE', undefined, { target, reason }).toBody(), 502);
  };
  // http-proxy is loaded on the first scrape of /metrics/system (docs/kan.md, "Memory").
  let proxy: Server | undefined;
  let closed = false;
  const proxyOf = async (): Promise<Server> => {
    if (proxy) return proxy;
    const { default: httpProxy } = await import('http-proxy');
    // proxyTimeout only: http-proxy's `timeout` would cut the client's own socket (an empty reply).
    proxy ??= httpProxy.createProxyServer({ target, ignorePath: true, changeOrigin: true, agent, proxyTimeout: timeoutMs });
    // The server-wide handler too: an unhandled 'error' on the proxy would end the process.
    if (proxy.listenerCount('error') === 0) proxy.on('error', (err, _req, res) => fail(err, res));
    if (closed) proxy.close();
    return proxy;
  };
  defineRoute(router, '/kan/v1/metrics/system', {
    GET: {
      roles: ROLES,
      handler: (req, res) => {
        if (inFlight >= maxInFlight) {
          sendJson(res, kanErrors.create('NODE_EXPORTER_BUSY', undefined, { inFlight, max: maxInFlight }).toBody(), 503);
          return Promise.resolve();
        }
        inFlight += 1;
        return new Promise<void>((resolve) => {
          res.once('close', () => {
            inFlight -= 1;
            resolve();
          });
          proxyOf().then((p) => p.web(req, res, {}, (err) => fail(err, res)), (err: unknown) => fail(err instanceof Error ? err : new Error(String(err)), res));
        });
      },
    },
  });
  return { router, close: () => { closed = true; proxy?.close(); agent.destroy(); } };
}

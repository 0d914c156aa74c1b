/**
 * Metrics: this kan's own (process + kan_*) at /metrics/process and its alias /metrics/golang;
 * node_exporter's proxied from loopback at /metrics/system through http-proxy, with an error
 * handler so that a dead exporter is 502 NODE_EXPORTER_UNAVAILABLE and never a crash.
 */
import type express from 'express';
import httpProxy from 'http-proxy';
import { Agent, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { defineRoute, metricsHandler, sendJson, ROLES } from '@qsen/core';
import { kanErrors } from '../errors.js';
import type { LogSink } from '../log-sink.js';

/** The proxy target of /metrics/system (pure): node_exporter's base URL + /metrics. */
export function nodeExporterTarget(url: string): string {
  return `${url.replace(/\/+$/, '')}/metrics`;
}

/** Mounts the metrics endpoints; returns a closer for the proxy. */
export function mountMetricsRoutes(app: express.Express, deps: { registry: Registry; nodeExporterUrl: string; logger: LogSink; timeoutMs?: number }): { close(): void } {
  const handler = metricsHandler(deps.registry);
  for (const path of ['/kan/v1/metrics/process', '/kan/v1/metrics/golang']) {
    defineRoute(app, path, { GET: { roles: ROLES, handler: (req, res) => handler(req, res) } });
  }
  const target = nodeExporterTarget(deps.nodeExporterUrl);
  // Keep-alive to the exporter: no TCP handshake per scrape.
  const agent = new Agent({ keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 });
  const proxy = httpProxy.createProxyServer({ target, ignorePath: true, changeOrigin: true, agent, proxyTimeout: deps.timeoutMs ?? 10_000, timeout: deps.timeoutMs ?? 10_000 });
  let lastLogged = 0;
  const fail = (err: Error, res: ServerResponse | Socket): void => {
    if (Date.now() - lastLogged > 60_000) {
      lastLogged = Date.now();
      deps.logger.warn('node_exporter unavailable', { target, error: err.message });
    }
    if (!('setHeader' in res)) { res.destroy(); return; }
    if (res.headersSent) { res.destroy(); return; }
    sendJson(res, kanErrors.create('NODE_EXPORTER_UNAVAILABLE', undefined, { target, reason: (err as NodeJS.ErrnoException).code ?? err.message }).toBody(), 502);
  };
  // The server-wide handler too: an unhandled 'error' on the proxy would end the process.
  proxy.on('error', (err, _req, res) => fail(err, res));
  defineRoute(app, '/kan/v1/metrics/system', {
    GET: {
      roles: ROLES,
      handler: (req, res) => new Promise<void>((resolve) => {
        res.once('close', () => resolve());
        proxy.web(req, res, {}, (err) => fail(err, res));
      }),
    },
  });
  return { close: () => { proxy.close(); agent.destroy(); } };
}

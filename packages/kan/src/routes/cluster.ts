/**
 * The cluster view of the gateway kan in four-port mode (docs/kan.md, "Four-port mode"):
 * GET /kan/v1/cluster/status (the status of all four nodes) and
 * GET /kan/v1/cluster/metrics/process?node=qsen|kan0|kan1|kan2 (that node's process metrics),
 * each read over loopback with mutual TLS (cluster/loopback-client.ts). The caller's role is
 * checked here exactly as the node itself would (every role may read both); the hop presents the
 * gateway's read-only identity. Restarts and logs of every node need no proxy: restart_qsen and
 * restart_kan?node=N reach the owner of any node, and the log folder is shared by the four.
 * At most CLUSTER_MAX_IN_FLIGHT calls run at once (503 CLUSTER_BUSY beyond), so a flood of
 * cluster calls cannot multiply into four times as many loopback connections.
 */
import express from 'express';
import type { QsenConfig } from '@qsen/core/config';
import { defineRoute, sendJson, ROLES } from '@qsen/core/http';
import { kanErrors } from '../errors.js';
import { LoopbackError, type LoopbackGet } from '../cluster/loopback-client.js';
import { CLUSTER_NODE_NAMES, clusterNodes, findClusterNode, type ClusterNode } from '../cluster/nodes.js';
import { clusterStatus, nodeStatusEntry, type NodeReading } from '../cluster/view.js';
import { readQuery } from './query.js';

/** Cluster calls served at once by one gateway. */
export const CLUSTER_MAX_IN_FLIGHT = 8;

/** What the cluster routes need. */
export interface ClusterRouteDeps {
  readonly config: Pick<QsenConfig, 'server' | 'cluster'>;
  readonly get: LoopbackGet;
  readonly maxInFlight?: number;
}

async function read(get: LoopbackGet, node: ClusterNode, path: string): Promise<NodeReading> {
  try {
    return { ok: true, answer: await get(node.port, path) };
  } catch (err) {
    return { ok: false, reason: err instanceof LoopbackError ? err.reason : String(err) };
  }
}

/** The cluster view's routes. */
export function createClusterRoutes(deps: ClusterRouteDeps): express.Router {
  const router = express.Router();
  const nodes = clusterNodes(deps.config);
  const maxInFlight = deps.maxInFlight ?? CLUSTER_MAX_IN_FLIGHT;
  let inFlight = 0;
  const limited = (handler: (req: express.Request, res: express.Response) => Promise<void>) => async (req: express.Request, res: express.Response): Promise<void> => {
    if (inFlight >= maxInFlight) {
      res.setHeader('Retry-After', '1');
      throw kanErrors.create('CLUSTER_BUSY', undefined, { inFlight, max: maxInFlight });
    }
    inFlight += 1;
    try {
      await handler(req, res);
    } finally {
      inFlight -= 1;
    }
  };

  defineRoute(router, '/kan/v1/cluster/status', {
    GET: {
      roles: ROLES,
      handler: limited(async (_req, res) => {
        const readings = await Promise.all(nodes.map((node) => read(deps.get, node, node.statusPath)));
        sendJson(res, clusterStatus(deps.config.cluster, nodes.map((node, i) => nodeStatusEntry(node, readings[i] ?? { ok: false, reason: 'not read' }))));
      }),
    },
  });

  defineRoute(router, '/kan/v1/cluster/metrics/process', {
    GET: {
      roles: ROLES,
      handler: limited(async (req, res) => {
        const name = readQuery(req, 'node');
        const node = name === undefined ? undefined : findClusterNode(nodes, name);
        if (node === undefined) {
          throw kanErrors.create('INVALID_PARAMETER', `node must be one of ${CLUSTER_NODE_NAMES.join(', ')}`, { parameter: 'node' });
        }
        const reading = await read(deps.get, node, node.metricsPath);
        if (!reading.ok) throw kanErrors.create('CLUSTER_NODE_UNAVAILABLE', undefined, { node: node.name, port: node.port, reason: reading.reason });
        if (reading.answer.status !== 200) {
          throw kanErrors.create('CLUSTER_NODE_UNAVAILABLE', undefined, { node: node.name, port: node.port, reason: `answered ${reading.answer.status}` });
        }
        res.status(200).setHeader('Content-Type', reading.answer.contentType);
        res.end(reading.answer.body);
      }),
    },
  });
  return router;
}

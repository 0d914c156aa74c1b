/**
 * The cluster status document (pure): one entry per node, from what its status endpoint
 * answered over loopback or why it could not be reached. A node that does not answer is an
 * entry saying so, never a missing entry or a failed cluster view.
 */
import type { QsenConfig } from '@qsen/core/config';
import type { ClusterNode, ClusterNodeName } from './nodes.js';
import type { LoopbackAnswer } from './loopback-client.js';

/** One node in the cluster status. */
export type ClusterNodeStatus =
  | { readonly node: ClusterNodeName; readonly port: number; readonly reachable: true; readonly httpStatus: number; readonly status: unknown }
  | { readonly node: ClusterNodeName; readonly port: number; readonly reachable: false; readonly error: { readonly code: 'CLUSTER_NODE_UNAVAILABLE'; readonly reason: string } };

/** What GET /kan/v1/cluster/status answers. */
export interface ClusterStatus {
  readonly mode: QsenConfig['cluster']['mode'];
  readonly gateway: number;
  readonly nodes: readonly ClusterNodeStatus[];
}

/** The outcome of reading one node: its answer, or the reason it could not be read. */
export type NodeReading = { readonly ok: true; readonly answer: LoopbackAnswer } | { readonly ok: false; readonly reason: string };

/** One node's entry: a JSON answer (any HTTP status: a 403 is the node's own word) or unreachable. */
export function nodeStatusEntry(node: ClusterNode, reading: NodeReading): ClusterNodeStatus {
  if (!reading.ok) return { node: node.name, port: node.port, reachable: false, error: { code: 'CLUSTER_NODE_UNAVAILABLE', reason: reading.reason } };
  try {
    return { node: node.name, port: node.port, reachable: true, httpStatus: reading.answer.status, status: JSON.parse(reading.answer.body.toString('utf8')) as unknown };
  } catch {
    return { node: node.name, port: node.port, reachable: false, error: { code: 'CLUSTER_NODE_UNAVAILABLE', reason: `answered ${reading.answer.status} without JSON` } };
  }
}

/** The whole document, nodes in the order given. */
export function clusterStatus(cluster: QsenConfig['cluster'], entries: readonly ClusterNodeStatus[]): ClusterStatus {
  return { mode: cluster.mode, gateway: cluster.gateway, nodes: entries };
}

/**
 * The cluster view's decisions (pure): which nodes make the cluster, where each answers on
 * loopback, which kan is the gateway, and where each kan listens (docs/kan.md, "Four-port mode").
 */
import type { QsenConfig } from '@qsen/core/config';

/** A node's name in the cluster view (the same names as the log files'). */
export type ClusterNodeName = 'qsen' | 'kan0' | 'kan1' | 'kan2';

/** The cluster's node names, in the order the cluster status lists them. */
export const CLUSTER_NODE_NAMES: readonly ClusterNodeName[] = ['qsen', 'kan0', 'kan1', 'kan2'];

/** One node as the gateway reaches it over loopback. */
export interface ClusterNode {
  readonly name: ClusterNodeName;
  readonly port: number;
  /** Its status endpoint (docs/api.md §4 / §5). */
  readonly statusPath: string;
  /** Its process metrics endpoint (Prometheus text). */
  readonly metricsPath: string;
}

/** The four nodes of a configuration. */
export function clusterNodes(config: Pick<QsenConfig, 'server'>): readonly ClusterNode[] {
  const kans = config.server.kan_ports.map((port, index): ClusterNode => ({
    name: `kan${index}` as ClusterNodeName, port, statusPath: '/kan/v1/status', metricsPath: '/kan/v1/metrics/process',
  }));
  return [{ name: 'qsen', port: config.server.qsen_port, statusPath: '/qsen/v1/status', metricsPath: '/qsen/v1/metrics/process' }, ...kans];
}

/** The node a query names, or undefined when it names none. */
export function findClusterNode(nodes: readonly ClusterNode[], name: string): ClusterNode | undefined {
  return nodes.find((node) => node.name === name);
}

/** True when kan `index` answers for the cluster (four-port mode, the configured gateway). */
export function isClusterGateway(config: Pick<QsenConfig, 'cluster'>, index: number): boolean {
  return config.cluster.mode === 'four-port' && config.cluster.gateway === index;
}

/** Where kan `index` listens: in four-port mode every kan but the gateway on loopback only. */
export function kanListenHost(config: Pick<QsenConfig, 'server' | 'cluster'>, index: number): string {
  return config.cluster.mode === 'four-port' && config.cluster.gateway !== index ? '127.0.0.1' : config.server.listen;
}

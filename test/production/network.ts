/**
 * The production tier's network: two network namespaces the test makes itself, one for the
 * container (the "server") and one for a client, wired by a veth pair. Addresses exist only
 * in these namespaces (10.213.N.0/24, never an outside address); the host's own network is
 * never touched, and nothing is routed anywhere else, so the container has no internet.
 */
import { runCommand } from '../deploy/staging.js';

/** The two namespaces and their addresses. */
export interface TestNetwork {
  /** Namespace the container boots in (systemd-nspawn --network-namespace-path). */
  server: string;
  /** Namespace the client probes and calls from. */
  client: string;
  serverAddress: string;
  clientAddress: string;
  /** Path to pass to systemd-nspawn --network-namespace-path. */
  serverPath: string;
  /** Deletes both namespaces (and with them the veth pair); safe to call twice. */
  remove(): Promise<void>;
}

async function ip(args: readonly string[]): Promise<void> {
  const result = await runCommand('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

/** Makes the namespaces and the veth pair; tag keeps parallel runs apart (a short word). */
export async function createTestNetwork(tag: string): Promise<TestNetwork> {
  const server = `qsenprod-srv-${tag}`;
  const client = `qsenprod-cli-${tag}`;
  const subnet = 200 + (Number.parseInt(tag, 36) % 50);
  const serverAddress = `10.213.${subnet}.1`;
  const clientAddress = `10.213.${subnet}.2`;
  const remove = async (): Promise<void> => {
    for (const name of [server, client]) await runCommand('ip', ['netns', 'delete', name]);
  };
  try {
    await ip(['netns', 'add', server]);
    await ip(['netns', 'add', client]);
    // Created inside the server namespace, so no interface ever appears in the host's.
    await ip(['-n', server, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    for (const [name, address] of [[server, serverAddress], [client, clientAddress]] as const) {
      await ip(['-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await ip(['-n', name, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { server, client, serverAddress, clientAddress, serverPath: `/run/netns/${server}`, remove };
}

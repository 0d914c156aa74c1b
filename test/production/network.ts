/**
 * The production tier's network: network namespaces the test makes itself, one for the
 * container (the "server"), one for a client and one for a "stranger" (a source outside the
 * allow-lists), each client wired to the server by its own veth pair. Addresses exist only
 * in these namespaces (10.213.N.0/24, never an outside address); the host's own network is
 * never touched, and nothing is routed anywhere else, so the container has no internet.
 */
import { readdirSync } from 'node:fs';
import { runCommand } from '../deploy/staging.js';

const NAMESPACE_NAME = /^qsenprod-(?:srv|cli|str)-[a-z0-9]+-(\d+)$/;

/** Whether a process of this pid lives (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the namespaces a killed run left (their names end in the pid of the test process that
 * made them, which is gone): a run stopped by SIGKILL never reaches its cleanup.
 */
async function removeLeftNamespaces(): Promise<void> {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return; // no namespace was ever made
  }
  for (const name of names) {
    const owner = NAMESPACE_NAME.exec(name)?.[1];
    if (owner !== undefined && !alive(Number(owner))) await runCommand('ip', ['netns', 'delete', name]);
  }
}

/** The two namespaces and their addresses. */
export interface TestNetwork {
  /** Namespace the container boots in (systemd-nspawn --network-namespace-path). */
  server: string;
  /** Namespace the client probes and calls from. */
  client: string;
  /** A second client namespace, on its own link (eth1 of the server), for refused sources. */
  stranger: string;
  serverAddress: string;
  clientAddress: string;
  strangerAddress: string;
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
  await removeLeftNamespaces();
  // The names end in this process's pid: a run killed before its cleanup leaves namespaces the
  // next run recognises as left (and deletes) instead of failing on a name that exists.
  const server = `qsenprod-srv-${tag}-${process.pid}`;
  const client = `qsenprod-cli-${tag}-${process.pid}`;
  const stranger = `qsenprod-str-${tag}-${process.pid}`;
  const subnet = 100 + (Number.parseInt(tag, 36) % 50);
  const serverAddress = `10.213.${subnet}.1`;
  const clientAddress = `10.213.${subnet}.2`;
  const strangerAddress = `10.213.${subnet + 50}.2`;
  const remove = async (): Promise<void> => {
    for (const name of [server, client, stranger]) await runCommand('ip', ['netns', 'delete', name]);
  };
  try {
    await ip(['netns', 'add', server]);
    await ip(['netns', 'add', client]);
    await ip(['netns', 'add', stranger]);
    // Created inside the server namespace, so no interface ever appears in the host's.
    await ip(['-n', server, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    await ip(['-n', server, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', stranger]);
    for (const [name, device, address] of [[server, 'eth0', serverAddress], [client, 'eth0', clientAddress],
      [server, 'eth1', `10.213.${subnet + 50}.1`], [stranger, 'eth0', strangerAddress]] as const) {
      await ip(['-n', name, 'addr', 'add', `${address}/24`, 'dev', device]);
      await ip(['-n', name, 'link', 'set', device, 'up']);
      await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    }
    // The stranger reaches the server's first address over its own link (the server is the next hop).
    await ip(['-n', stranger, 'route', 'add', `${serverAddress}/32`, 'via', `10.213.${subnet + 50}.1`]);
  } catch (err) {
    await remove();
    throw err;
  }
  return { server, client, stranger, serverAddress, clientAddress, strangerAddress, serverPath: `/run/netns/${server}`, remove };
}

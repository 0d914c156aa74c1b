/**
 * Reading an nftables ruleset as the kernel holds it (`nft --json list ruleset`), and running
 * nft in a throwaway network namespace so that tests never touch the host's firewall.
 */
import type { TestContext } from 'node:test';
import { runCommand } from './staging.js';

/** What a ruleset lets through: chain policies, accepted ports, port-less accept rules, set contents. */
export interface AcceptedTraffic {
  policies: Record<string, string>;
  /** "chain proto dport N[ to ADDRESS]" for every accepted port, sorted. */
  ports: string[];
  /** Accept rules without a port: "chain loopback" | "chain established" | "chain icmpv6 ..." (anything else is reported as "chain UNEXPECTED ..."). */
  portless: string[];
  /** Contents of the configured sets (those the rules fill at run time, `dynamicSets`, are left out). */
  setElements: Record<string, string[]>;
  /** Sets that rules fill at run time (`add @set` / `update @set`: the per-source flood limits), sorted. */
  dynamicSets: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function asObject(value: Json | undefined): Record<string, Json> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function listOf(value: Json | undefined): Json[] {
  const set = asObject(value)?.['set'];
  if (Array.isArray(set)) return set;
  return value === undefined ? [] : [value];
}

/** Describes the accepted traffic of `nft --json list ruleset` output. */
export function describeAcceptedPorts(jsonText: string): AcceptedTraffic {
  const root = asObject(JSON.parse(jsonText) as Json);
  const items = Array.isArray(root?.['nftables']) ? root['nftables'] : [];
  const result: AcceptedTraffic = { policies: {}, ports: [], portless: [], setElements: {}, dynamicSets: [] };
  const filled = new Set<string>();
  for (const item of items) {
    const chain = asObject(asObject(item)?.['chain']);
    if (chain && typeof chain['name'] === 'string' && typeof chain['policy'] === 'string') result.policies[chain['name']] = chain['policy'];
    const set = asObject(asObject(item)?.['set']);
    if (set && typeof set['name'] === 'string') {
      result.setElements[set['name']] = (Array.isArray(set['elem']) ? set['elem'] : []).map(String);
    }
    const rule = asObject(asObject(item)?.['rule']);
    if (!rule || !Array.isArray(rule['expr'])) continue;
    const expressions = rule['expr'].map(asObject);
    for (const e of expressions) {
      const statement = asObject(e?.['set']);
      if (statement && (statement['op'] === 'add' || statement['op'] === 'update') && typeof statement['set'] === 'string') filled.add(statement['set'].replace(/^@/, ''));
    }
    if (!expressions.some((e) => e && 'accept' in e)) continue;
    const chainName = String(rule['chain']);
    const ports: string[] = [];
    let destination = '';
    const conditions: string[] = [];
    for (const expression of expressions) {
      const match = asObject(expression?.['match']);
      if (!match) continue;
      const left = asObject(match['left']);
      const payload = asObject(left?.['payload']);
      const meta = asObject(left?.['meta']);
      const ct = asObject(left?.['ct']);
      if (payload && (payload['field'] === 'dport' || payload['field'] === 'sport')) {
        for (const port of listOf(match['right'])) ports.push(`${String(payload['protocol'])} ${String(payload['field'])} ${String(port)}`);
      } else if (payload && payload['field'] === 'daddr') {
        destination = ` to ${String(match['right'])}`;
      } else if (meta && (meta['key'] === 'iif' || meta['key'] === 'oif') && match['right'] === 'lo') {
        conditions.push('loopback');
      } else if (ct && ct['key'] === 'state') {
        const states = listOf(match['right']).map(String).sort().join(',');
        if (states === 'established,related') conditions.push('established');
        else if (states !== 'new') conditions.push(`ct state ${states}`);
      } else if (payload && payload['protocol'] === 'icmpv6' && payload['field'] === 'type') {
        conditions.push(`icmpv6 ${listOf(match['right']).map(String).sort().join(',')}`);
      } else if (payload && payload['protocol'] === 'ip6' && payload['field'] === 'hoplimit') {
        // part of the neighbour discovery rule
      } else {
        conditions.push(`UNEXPECTED ${JSON.stringify(match)}`);
      }
    }
    if (ports.length > 0) {
      for (const port of ports) result.ports.push(`${chainName} ${port}${destination}`);
    } else {
      result.portless.push(`${chainName} ${conditions.join(' ') || 'UNEXPECTED accept everything'}`);
    }
  }
  result.ports.sort();
  result.portless.sort();
  for (const name of filled) delete result.setElements[name];
  result.dynamicSets = [...filled].sort();
  return result;
}

/** A command prefix that runs its arguments in a fresh network namespace. */
export interface NamespaceRunner {
  command: string;
  args: string[];
}

/**
 * Finds how to run a command in a fresh network namespace (as root: unshare --net; otherwise,
 * or when that is refused, unshare --user --map-root-user --net). Resolves with the runner, or
 * with the reasons it is impossible here (e.g. a container without CAP_SYS_ADMIN).
 */
export async function findNetworkNamespaceRunner(): Promise<NamespaceRunner | { unavailable: string }> {
  const userNamespace = ['--user', '--map-root-user', '--net'];
  const candidates = process.getuid?.() === 0 ? [['--net'], userNamespace] : [userNamespace];
  const errors: string[] = [];
  for (const options of candidates) {
    const runner = { command: 'unshare', args: options };
    const probe = await runCommand(runner.command, [...runner.args, 'nft', 'list', 'ruleset']);
    if (probe.code === 0) return runner;
    errors.push(`unshare ${options.join(' ')}: ${probe.stderr.trim()}`);
  }
  return { unavailable: `cannot run nft in a private network namespace here (needs root or user namespaces): ${errors.join('; ')}` };
}

/** Checks a ruleset file with `nft --check` (directly, else in a private network namespace); undefined when nft cannot run at all. */
export async function checkRuleset(file: string): Promise<{ code: number; output: string; how: string } | { unavailable: string }> {
  const direct = await runCommand('nft', ['--check', '--file', file]);
  if (direct.code === 0 || !/Operation not permitted|cache initialization failed/.test(direct.stderr)) {
    return { code: direct.code, output: direct.stderr, how: 'nft --check' };
  }
  const runner = await findNetworkNamespaceRunner();
  if ('unavailable' in runner) return { unavailable: `nft --check needs CAP_NET_ADMIN (${direct.stderr.trim()}); ${runner.unavailable}` };
  const inNamespace = await runCommand(runner.command, [...runner.args, 'nft', '--check', '--file', file]);
  return { code: inNamespace.code, output: inNamespace.stderr, how: `${runner.command} ${runner.args.join(' ')} nft --check` };
}

/** Skips a test for a reason it cannot run here, loudly; under CI=true the test fails instead. */
export function skipOrFailInCi(t: TestContext, reason: string): void {
  if (process.env['CI'] === 'true') throw new Error(`${reason}; under CI=true this is a failure`);
  console.error(`\n!!! ${reason}: SKIPPING\n`);
  t.skip(reason);
}

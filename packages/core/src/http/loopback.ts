/**
 * The loopback test behind the internal endpoints' exemption (docs/api.md §2): a peer is
 * loopback when its address is in 127.0.0.0/8, is ::1, or is an IPv4-mapped 127.x address.
 */
import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True when `address` (as Node reports a peer, e.g. "127.0.0.1", "::1", "::ffff:127.0.0.2") is loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList matches IPv4-mapped IPv6 addresses (::ffff:127.x.y.z) against the IPv4 subnet.
  return loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Id arithmetic for the ids the simulator invents (seeded business, counter orders, operation
 * ids): exact BigInt steps, kept inside 0 .. 2^64-1.
 */
import { UINT64_MAX, toUint64, type IdRange, type Uint64 } from '@qsen/core';

/** Offsets an id by a signed amount; undefined when the result leaves 0 .. 2^64-1. */
export function offsetId(base: bigint, delta: bigint): Uint64 | undefined {
  const value = base + delta;
  if (value < 0n || value > UINT64_MAX) return undefined;
  return toUint64(value.toString());
}

/**
 * Finds a free id outside the range for a counter order the agent itself placed: the first
 * unused id going down from min-1, or (when the range starts at 0) going up from max+1.
 */
export function allocateOutsideId(range: IdRange, isTaken: (id: Uint64) => boolean, limit = 1_000_000): Uint64 {
  const min = BigInt(range.min);
  const max = BigInt(range.max);
  for (let step = 1n; step <= BigInt(limit); step++) {
    const below = offsetId(min, -step);
    if (below !== undefined && !isTaken(below)) return below;
  }
  for (let step = 1n; step <= BigInt(limit); step++) {
    const above = offsetId(max, step);
    if (above !== undefined && !isTaken(above)) return above;
  }
  throw new RangeError('no free id outside the reserved range');
}

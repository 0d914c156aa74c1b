/**
 * The campaign's seeded randomness: one pure-rand xoroshiro128+ generator per seed, with the few
 * draws the plan needs. The same seed gives the same sequence of draws on every machine.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Seeded draws (each call advances the generator). */
export interface Random {
  /** An integer in [from, to], both included. */
  int(from: number, to: number): number;
  /** A float in [0, 1). */
  float(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** One key of a table of positive weights, in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

/** Makes the seeded draws of one campaign. */
export function createRandom(seed: number): Random {
  const rng: RandomGenerator = xoroshiro128plus(seed);
  const random: Random = {
    int: (from, to) => uniformInt(rng, from, to),
    float: () => uniformFloat64(rng),
    chance: (p) => uniformFloat64(rng) < p,
    pick: (items) => {
      const item = items[uniformInt(rng, 0, items.length - 1)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    weighted: (weights) => {
      const entries = Object.entries(weights) as [keyof typeof weights & string, number][];
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      let target = uniformFloat64(rng) * total;
      for (const [key, weight] of entries) {
        target -= weight;
        if (target < 0) return key;
      }
      const last = entries[entries.length - 1];
      if (!last) throw new Error('weighted pick from an empty table');
      return last[0];
    },
  };
  return random;
}

/**
 * What the simulator received: requests per endpoint, order submissions and cancel requests per
 * id (so a test can prove an order reached the exchange exactly once, and see every cancel that
 * reached it) and injected faults per kind.
 */
import type { Uint64 } from '@qsen/core';

/** The counters as plain data (persisted in state.json, served by the admin API). */
export interface CountersSnapshot {
  readonly requests: Record<string, number>;
  readonly ordersReceived: Record<string, number>;
  /** Cancel requests per order id (whatever happened to them next). */
  readonly cancelsReceived: Record<string, number>;
  readonly faults: Record<string, number>;
}

/** One counter change, as journaled. */
export type CounterChange =
  | { readonly t: 'count'; readonly kind: 'request' | 'order' | 'cancel' | 'fault'; readonly key: string }
  | { readonly t: 'count_clear' };

/** Mutable counters of one simulator. */
export interface SimulatorCounters {
  /** Sets who receives every change (the persistence layer journals them). */
  onChange(sink: (change: CounterChange) => void): void;
  /** Applies one change without reporting it (journal replay). */
  apply(change: CounterChange): void;
  /** Counts one request to an endpoint ("METHOD /path/template"). */
  countRequest(endpoint: string): void;
  /** Counts one order submission carrying this id (whatever happened to it next). */
  countOrder(id: Uint64): void;
  /** Counts one cancel request for this id (whatever happened to it next). */
  countCancel(id: Uint64): void;
  /** How many cancel requests carried this id. */
  cancelsReceivedFor(id: Uint64): number;
  /** Counts one injected fault. */
  countFault(kind: string): void;
  /** How many submissions carried this id. */
  ordersReceivedFor(id: Uint64): number;
  /** Every id that at least one submission or cancel request carried. */
  receivedIds(): Uint64[];
  /** Forgets everything. */
  clear(): void;
  /** The counters as plain data. */
  snapshot(): CountersSnapshot;
}

/** Makes the counters, empty or rebuilt from a snapshot. */
export function createSimulatorCounters(from?: CountersSnapshot): SimulatorCounters {
  const requests = new Map<string, number>(Object.entries(from?.requests ?? {}));
  const ordersReceived = new Map<string, number>(Object.entries(from?.ordersReceived ?? {}));
  const cancelsReceived = new Map<string, number>(Object.entries(from?.cancelsReceived ?? {}));
  const faults = new Map<string, number>(Object.entries(from?.faults ?? {}));
  let sink: ((change: CounterChange) => void) | undefined;

  const apply = (change: CounterChange): void => {
    if (change.t === 'count_clear') {
      requests.clear();
      ordersReceived.clear();
      cancelsReceived.clear();
      faults.clear();
      return;
    }
    const map = { request: requests, order: ordersReceived, cancel: cancelsReceived, fault: faults }[change.kind];
    map.set(change.key, (map.get(change.key) ?? 0) + 1);
  };
  const commit = (change: CounterChange): void => {
    apply(change);
    sink?.(change);
  };

  return {
    onChange(next) {
      sink = next;
    },
    apply,
    countRequest: (endpoint) => commit({ t: 'count', kind: 'request', key: endpoint }),
    countOrder: (id) => commit({ t: 'count', kind: 'order', key: id }),
    countCancel: (id) => commit({ t: 'count', kind: 'cancel', key: id }),
    cancelsReceivedFor: (id) => cancelsReceived.get(id) ?? 0,
    countFault: (kind) => commit({ t: 'count', kind: 'fault', key: kind }),
    ordersReceivedFor: (id) => ordersReceived.get(id) ?? 0,
    receivedIds: () => [...new Set([...ordersReceived.keys(), ...cancelsReceived.keys()])] as Uint64[],
    clear: () => commit({ t: 'count_clear' }),
    snapshot: () => ({
      requests: Object.fromEntries(requests),
      ordersReceived: Object.fromEntries(ordersReceived),
      cancelsReceived: Object.fromEntries(cancelsReceived),
      faults: Object.fromEntries(faults),
    }),
  };
}

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
export class SimulatorCounters {
  private readonly requests = new Map<string, number>();
  private readonly ordersReceived = new Map<string, number>();
  private readonly cancelsReceived = new Map<string, number>();
  private readonly faults = new Map<string, number>();
  private sink: ((change: CounterChange) => void) | undefined;

  /** Sets who receives every change (the persistence layer journals them). */
  onChange(sink: (change: CounterChange) => void): void {
    this.sink = sink;
  }

  /** Applies one change without reporting it (journal replay). */
  apply(change: CounterChange): void {
    if (change.t === 'count_clear') {
      this.requests.clear();
      this.ordersReceived.clear();
      this.cancelsReceived.clear();
      this.faults.clear();
      return;
    }
    const maps = { request: this.requests, order: this.ordersReceived, cancel: this.cancelsReceived, fault: this.faults };
    const map = maps[change.kind];
    map.set(change.key, (map.get(change.key) ?? 0) + 1);
  }

  private commit(change: CounterChange): void {
    this.apply(change);
    this.sink?.(change);
  }

  /** Rebuilds counters from a snapshot. */
  static fromSnapshot(snapshot: CountersSnapshot): SimulatorCounters {
    const counters = new SimulatorCounters();
    for (const [k, v] of Object.entries(snapshot.requests)) counters.requests.set(k, v);
    for (const [k, v] of Object.entries(snapshot.ordersReceived)) counters.ordersReceived.set(k, v);
    for (const [k, v] of Object.entries(snapshot.cancelsReceived)) counters.cancelsReceived.set(k, v);
    for (const [k, v] of Object.entries(snapshot.faults)) counters.faults.set(k, v);
    return counters;
  }

  /** Counts one request to an endpoint ("METHOD /path/template"). */
  countRequest(endpoint: string): void {
    this.commit({ t: 'count', kind: 'request', key: endpoint });
  }

  /** Counts one order submission carrying this id (whatever happened to it next). */
  countOrder(id: Uint64): void {
    this.commit({ t: 'count', kind: 'order', key: id });
  }

  /** Counts one cancel request for this id (whatever happened to it next). */
  countCancel(id: Uint64): void {
    this.commit({ t: 'count', kind: 'cancel', key: id });
  }

  /** How many cancel requests carried this id. */
  cancelsReceivedFor(id: Uint64): number {
    return this.cancelsReceived.get(id) ?? 0;
  }

  /** Counts one injected fault. */
  countFault(kind: string): void {
    this.commit({ t: 'count', kind: 'fault', key: kind });
  }

  /** How many submissions carried this id. */
  ordersReceivedFor(id: Uint64): number {
    return this.ordersReceived.get(id) ?? 0;
  }

  /** Every id that at least one submission or cancel request carried. */
  receivedIds(): Uint64[] {
    return [...new Set([...this.ordersReceived.keys(), ...this.cancelsReceived.keys()])] as Uint64[];
  }

  /** Forgets everything. */
  clear(): void {
    this.commit({ t: 'count_clear' });
  }

  /** The counters as plain data. */
  snapshot(): CountersSnapshot {
    return {
      requests: Object.fromEntries(this.requests),
      ordersReceived: Object.fromEntries(this.ordersReceived),
      cancelsReceived: Object.fromEntries(this.cancelsReceived),
      faults: Object.fromEntries(this.faults),
    };
  }
}

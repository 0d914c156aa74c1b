/**
 * The order and its states: the vocabulary shared by validation, the journal, the order book and
 * the SENEBI adapter. A leaf module: it imports nothing from qsen, so nothing imports upward.
 */
import type { ORDER_CURRENCIES, ORDER_SETTLEMENTS } from '@qsen/core/config';
import type { Uint64 } from '@qsen/core/ids';
import type { WireObject } from '../senebi/wire.js';

/** Buy or sell. */
export type Side = 'buy' | 'sell';
/** ARS, USD (MEP) or EXT (cable). */
export type Currency = (typeof ORDER_CURRENCIES)[number];
/** T0 (BYMA's "CI") or T1 ("24hs"). */
export type Settlement = (typeof ORDER_SETTLEMENTS)[number];

/** A validated order in canonical form (what is journaled, compared and sent). */
export interface OrderContent {
  readonly id: Uint64;
  readonly instrument: string;
  readonly side: Side;
  /** Canonical positive integer (no leading zeros). */
  readonly quantity: string;
  /** Canonical positive decimal (no leading zeros, no trailing fractional zeros, at most 6 decimals). */
  readonly price: string;
  readonly currency: Currency;
  readonly settlement: Settlement;
  /** The other agent's numeric code, 1 to 6 digits, as sent. */
  readonly counterparty: string;
}

/** The fields of an order, id first. */
export const ORDER_FIELDS = ['id', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty'] as const;

/** Where an order stands. `received`: on disk, about to be forwarded; `sent`: forwarded, no answer yet;
 * `unknown`: forwarded (or possibly forwarded), SENEBI's answer is not known; `not_sent`: known not to
 * be at SENEBI. */
export type OrderState = 'received' | 'sent' | 'accepted' | 'rejected' | 'unknown' | 'not_sent';

/** Every order state. */
export const ORDER_STATES: readonly OrderState[] = ['received', 'sent', 'accepted', 'rejected', 'unknown', 'not_sent'];

/** States after which the order's fate at SENEBI is known and final. */
export const FINAL_STATES: readonly OrderState[] = ['accepted', 'rejected'];

/** States whose fate at SENEBI must be asked by id before anything else happens to the order. */
export const UNCERTAIN_STATES: readonly OrderState[] = ['received', 'sent', 'unknown'];

/**
 * Where a cancel of an accepted order stands. `requested`: on disk, about to be forwarded (or
 * forwarded, no answer yet); `unknown`: forwarded, SENEBI's answer is not known; `not_sent`: known
 * not to have reached SENEBI (the order still rests, a new cancel may be tried); `cancelled` and
 * `matched` (SENEBI refused it: the order had traded) are final.
 */
export type CancelState = 'requested' | 'cancelled' | 'matched' | 'unknown' | 'not_sent';

/** Every cancel state. */
export const CANCEL_STATES: readonly CancelState[] = ['requested', 'cancelled', 'matched', 'unknown', 'not_sent'];

/** Cancel states after which the cancel's fate at SENEBI is known and final. */
export const FINAL_CANCEL_STATES: readonly CancelState[] = ['cancelled', 'matched'];

/** Cancel states whose fate at SENEBI must be asked (or the idempotent cancel resent) before it is answered. */
export const UNCERTAIN_CANCEL_STATES: readonly CancelState[] = ['requested', 'unknown'];

/** How one SENEBI call ended (labels of figures and metrics). */
export type CallOutcome = 'ok' | 'error' | 'timeout';

/** The cancel of an order as qsen knows it. */
export interface CancelEntry {
  state: CancelState;
  requestedAt: string;
  updatedAt: string;
  /** SENEBI's answer (the cancelled order) when there is one. */
  senebi?: WireObject;
  error?: string;
}

/** One order as qsen knows it. */
export interface OrderEntry {
  /** The content; undefined when journal damage destroyed it (until a retry or SENEBI's record brings it back). */
  order: OrderContent | undefined;
  state: OrderState;
  receivedAt: string;
  updatedAt: string;
  senebi?: WireObject;
  error?: string;
  /** The platform's cancel of the order, once asked for. */
  cancel?: CancelEntry;
}

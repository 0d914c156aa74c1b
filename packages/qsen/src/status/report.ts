/**
 * The body of GET /qsen/v1/status: SENEBI call figures, order outcomes, uptime, kill switch,
 * reconciliation, journal, the risk controls' usage and refusals, the trading window now and its
 * next change, and the TLS material in force.
 */
import { evaluateWindow, type QsenConfig, type TrustStatus } from '@qsen/core';
import type { JournalFigures, JournalHealth } from '../journal/journal.js';
import type { KillSwitchState } from '../killswitch/killswitch.js';
import type { Acceptance } from './acceptance.js';
import type { OrderFigures, SenebiFigures } from './figures.js';

/** Where the status figures come from. */
export interface StatusSources {
  readonly config: QsenConfig;
  readonly startedAtMs: number;
  readonly senebiFigures: SenebiFigures;
  readonly orderFigures: OrderFigures;
  readonly killSwitch: () => KillSwitchState;
  readonly isReconciling: () => boolean;
  readonly inFlight: () => number;
  readonly journal: () => JournalFigures;
  readonly journalHealth: () => JournalHealth;
  /** Whether a new order would be taken now, and why not. */
  readonly acceptance: () => Acceptance;
  /** Contradictions between SENEBI's answers, by kind. */
  readonly contradictions: () => Record<string, number>;
  /** The risk controls: any limit in force, usage ratios of the daily and rate limits, refusals by limit. */
  readonly risk: () => unknown;
  readonly version: string;
  /** The TLS material this node enforces (CRL number, revoked count, last reload error). */
  readonly tls: () => TrustStatus;
  /** The last mass cancel's summary (docs/qsen.md, "Pulling resting orders"); null when none. */
  readonly massCancel?: () => unknown;
  /** The dead man's switch: state, last heartbeat, deadline. */
  readonly deadman?: () => unknown;
}

/** Builds the status body at the instant nowMs. */
export function buildStatus(sources: StatusSources, nowMs: number, pid: number): Record<string, unknown> {
  const { config } = sources;
  const window = evaluateWindow(config.schedule, nowMs);
  const killSwitch = sources.killSwitch();
  return {
    node: 'qsen',
    version: sources.version,
    pid,
    startedAt: new Date(sources.startedAtMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - sources.startedAtMs) / 1000)),
    ...sources.acceptance(),
    halted: killSwitch.halted,
    killSwitch,
    ...(sources.massCancel ? { massCancel: sources.massCancel() } : {}),
    ...(sources.deadman ? { deadman: sources.deadman() } : {}),
    reconciling: sources.isReconciling(),
    idRange: { min: config.id_range.min, max: config.id_range.max },
    window: {
      open: window.open,
      reason: window.reason,
      timezone: config.schedule.timezone,
      localDate: window.localDate,
      localTime: window.localTime,
      nextChangeAt: new Date(window.nextChangeAt).toISOString(),
    },
    orders: { ...sources.orderFigures.snapshot(), inFlight: sources.inFlight() },
    senebi: { url: config.senebi.url, operations: sources.senebiFigures.snapshot(), contradictions: sources.contradictions() },
    journal: { ...sources.journal(), ...sources.journalHealth() },
    risk: sources.risk(),
    tls: sources.tls(),
  };
}

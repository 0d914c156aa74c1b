/**
 * The facts a qsen node shows, and the body of GET /qsen/v1/status built from them: SENEBI call
 * figures, order outcomes, uptime, kill switch, reconciliation, journal, the risk controls' usage
 * and refusals, the trading window now and its next change, and the TLS material in force. The
 * Prometheus collectors (metrics/metrics.ts) read the same QsenFacts object, built once by node.ts.
 */
import type { QsenConfig } from '@qsen/core/config';
import type { TrustStatus } from '@qsen/core/http';
import { describeWindow, evaluateWindow, uptimeSeconds } from '@qsen/core/schedule';
import type { JournalFigures, JournalHealth } from '../journal/journal.js';
import type { KillSwitchState } from '../killswitch/killswitch.js';
import type { RiskControls } from '../risk/controls.js';
import type { Acceptance } from './acceptance.js';
import type { QsenStats } from './stats.js';

/** The certificates whose expiry qsen exports (the `certificate` label). */
export const CERTIFICATE_NAMES = ['server', 'client_ca', 'senebi_agent'] as const;

/** One value of the `certificate` label. */
export type CertificateName = (typeof CERTIFICATE_NAMES)[number];

/** The notAfter of one certificate in use, unix seconds. */
export interface CertificateExpiry {
  readonly certificate: CertificateName;
  readonly notAfterSeconds: number;
}

/** Everything /status and the metric collectors read: reported counts (stats) and live state. */
export interface QsenFacts {
  readonly config: QsenConfig;
  readonly version: string;
  readonly startedAtMs: number;
  /** What the desk and the SENEBI adapter reported. */
  readonly stats: QsenStats;
  readonly isHalted: () => boolean;
  readonly killSwitch: () => KillSwitchState;
  readonly isReconciling: () => boolean;
  readonly inFlight: () => number;
  readonly journal: () => JournalFigures;
  readonly journalHealth: () => JournalHealth;
  /** Whether a new order would be taken now, and why not. */
  readonly acceptance: () => Acceptance;
  /** The trading window at the node's clock. */
  readonly isMarketOpen: () => boolean;
  /** The risk controls: limits in force, usage ratios of the daily and rate limits, refusals by limit. */
  readonly risk: Pick<RiskControls, 'summary' | 'usageRatios' | 'refusalLimits'>;
  /** The certificates in use; one that cannot be read is left out. */
  readonly certificateExpiries: () => readonly CertificateExpiry[];
  /** The TLS material this node enforces (CRL number, revoked count, last reload error). */
  readonly tls: () => TrustStatus;
  /** The last mass cancel's summary (docs/qsen.md, "Pulling resting orders"); null when none. */
  readonly massCancel: () => unknown;
  /** Whether a mass cancel runs now. */
  readonly isMassCancelRunning: () => boolean;
  /** The dead man's switch: state, last heartbeat, deadline. */
  readonly deadman: () => unknown;
  /** The armed dead man's switch's deadline, epoch ms; undefined while it is not armed. */
  readonly deadmanDeadlineMs: () => number | undefined;
}

/** Builds the status body at the instant nowMs. */
export function buildStatus(facts: QsenFacts, nowMs: number, pid: number): Record<string, unknown> {
  const { config, stats } = facts;
  const window = evaluateWindow(config.schedule, nowMs);
  const described = describeWindow(config.schedule, nowMs);
  const killSwitch = facts.killSwitch();
  return {
    node: 'qsen',
    version: facts.version,
    pid,
    startedAt: new Date(facts.startedAtMs).toISOString(),
    uptimeSeconds: uptimeSeconds(facts.startedAtMs, nowMs),
    ...facts.acceptance(),
    halted: killSwitch.halted,
    killSwitch,
    massCancel: facts.massCancel(),
    deadman: facts.deadman(),
    reconciling: facts.isReconciling(),
    idRange: { min: config.id_range.min, max: config.id_range.max },
    window: {
      open: window.open,
      reason: window.reason,
      timezone: config.schedule.timezone,
      localDate: window.localDate,
      localTime: window.localTime,
      nextChangeAt: new Date(window.nextChangeAt).toISOString(),
      // For people: no far-off horizon date when the window never closes, times on the zone's clock.
      continuous: described.continuous,
      nextChangeLocal: described.nextChangeLocal,
      summary: described.summary,
    },
    orders: { ...stats.orders(), inFlight: facts.inFlight() },
    senebi: { url: config.senebi.url, operations: stats.senebiOperations(), contradictions: stats.contradictions() },
    journal: { ...facts.journal(), ...facts.journalHealth() },
    risk: facts.risk.summary(),
    tls: facts.tls(),
  };
}

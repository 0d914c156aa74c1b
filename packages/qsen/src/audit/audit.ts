/**
 * The audit trail of qsen's state-changing calls (sendOrder, halt, resume): who (certificate
 * subject), what, the outcome. The sink is core's audit log; this is the shape qsen writes.
 */

/** One audit entry. */
export interface AuditEntry {
  action: string;
  subject: string;
  outcome: string;
  requestId: string;
  details?: Record<string, unknown>;
}

/** Where audit entries go (core's createAuditLog satisfies it). */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

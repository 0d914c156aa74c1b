/** The audit surface kan writes to (createAuditLog from @qsen/core satisfies it). */
export interface AuditSink {
  record(entry: { action: string; subject: string; outcome: string; requestId?: string; details?: Record<string, unknown> }): void;
}

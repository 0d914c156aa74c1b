/** The audit surface kan writes to (createAuditLog from @qsen/core satisfies it), in docs/auditor.md's vocabulary. */
import type { AuditEntry } from '@qsen/core';

/** Where kan's audit entries go. */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

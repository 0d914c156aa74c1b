/**
 * The TLS layer's metrics: connections refused before HTTP, by reason (docs/api.md §2).
 */
import { Counter, type Registry } from './prom-modules.js';

/** What createMtlsServer counts. */
export interface TlsMetrics {
  /** Connections refused at the TLS layer, label `reason` (e.g. CERT_HAS_EXPIRED, ERR_SSL_NO_SHARED_CIPHER). */
  rejectedConnections: Counter<'reason'>;
}

/** Registers the TLS metrics in `registry`; `name` is the counter's full name, e.g. qsen_tls_rejected_connections_total. */
export function createTlsMetrics(registry: Registry, name: string): TlsMetrics {
  const rejectedConnections = new Counter({
    name,
    help: 'TLS connections refused before any HTTP exchange, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return { rejectedConnections };
}

/**
 * The TLS client side of a kan's watchdog: the one SecureContext its probes and idle watch
 * connections verify qsen's and the peers' server certificates with (the cluster CA, name
 * `localhost`). It follows the trust store: each reload of the TLS files (file watch, SIGHUP)
 * makes a new context from the CA in force and tells the listeners, so after a CA rotation the
 * watchdog neither keeps trusting a retired CA nor refuses the new one (docs/kan.md, "Trust
 * reload"). One context per material, not one per connection: a probe round no longer parses the
 * CA three times, and an idle kan does not carry a heap of contexts waiting for a GC.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { TrustStore } from '@qsen/core/http/server';

/** The context in force and its changes. */
export interface PeerTls {
  /** The context verifying targets now. */
  context(): SecureContext;
  /** Called after each change of the context (a reload of the TLS files); returns the unsubscribe. */
  onChange(listener: (context: SecureContext) => void): () => void;
  /** Stops following the trust store. */
  close(): void;
}

/** The client context of a CA (PEM). */
export function clientContextOf(caPem: string | Buffer): SecureContext {
  return createSecureContext({ ca: caPem });
}

/** A PeerTls that follows `trust`: a new context from each material the store takes. */
export function createPeerTls(trust: Pick<TrustStore, 'current' | 'onChange'>): PeerTls {
  const caOf = (options: { ca?: unknown }): string | Buffer => (Buffer.isBuffer(options.ca) ? options.ca : String(options.ca));
  let context = clientContextOf(caOf(trust.current().options));
  const listeners = new Set<(context: SecureContext) => void>();
  const unsubscribe = trust.onChange((material) => {
    context = clientContextOf(caOf(material.options));
    for (const listener of listeners) listener(context);
  });
  return {
    context: () => context,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      unsubscribe();
      listeners.clear();
    },
  };
}

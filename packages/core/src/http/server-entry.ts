/**
 * The mutual-TLS HTTP layer without express (`@qsen/core/http/server`, issue 17): the TLS server,
 * the trust store, the caller gate, the route table (declareRoute), bodies, answers, and the
 * prologue and error answer of the API (api-parts.ts). A kan's front door answers its pings with
 * these alone and loads express (`@qsen/core/http`, which adds createApiApp) on first use.
 */
export * from './loopback.js';
export * from './decision.js';
export * from './client-policy.js';
export * from './tls-policy.js';
export * from './peer.js';
export * from './caller.js';
export * from './roles.js';
export * from './body.js';
export * from './respond.js';
export * from './routes.js';
export * from './fetch-site.js';
export * from './api-parts.js';
export * from './file-watch.js';
export * from './trust-store.js';
export * from './server.js';
export * from './limits.js';
export * from './direct.js';

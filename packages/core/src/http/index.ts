/** The mutual-TLS HTTP layer (`@qsen/core/http`): the express app, the TLS server, the caller gate, bodies and answers. */
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
export * from './api-app.js';
export * from './file-watch.js';
export * from './trust-store.js';
export * from './server.js';
export * from './limits.js';
export * from './direct.js';

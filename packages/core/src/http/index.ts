/** The mutual-TLS HTTP layer (`@qsen/core/http`): the express app, the TLS server, the caller gate, bodies and answers. */
export * from './server-entry.js';
export * from './api-app.js';

export * from './tools.js';
export * from './wait.js';
export * from './tmp.js';
export * from './https.js';
export * from './process.js';
export * from './openssl.js';
export * from './numbered-log.js';
export * from './package-trace.js';

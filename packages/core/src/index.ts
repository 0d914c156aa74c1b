export * from './ids/uint64.js';
export * from './json/lossless.js';
export * from './errors/api-error.js';
export * from './config/types.js';

export * from './names.js';
export * from './tail.js';
export * from './truncate.js';
export * from './archive.js';

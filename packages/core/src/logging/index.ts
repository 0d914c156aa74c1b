/**
 * Logging on its own (`@qsen/core/logging`): the process logger (winston with daily rotation),
 * the audit log and its readers, redaction, and the LogSink surface modules take.
 */
export * from './redact.js';
export * from './failures.js';
export * from './file-transport.js';
export * from './logger.js';
export * from './log-sink.js';
export * from './audit.js';
export * from './audit-lines.js';
export * from './audit-verify.js';
export * from './audit-query.js';

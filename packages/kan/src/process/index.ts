export * from './control.js';
export * from './owner-protocol.js';
export * from './owner-client.js';
export * from './systemd.js';
export * from './local.js';
export * from './commands.js';
export * from './proc.js';

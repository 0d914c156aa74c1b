export * from './control.js';
export * from './systemd.js';
export * from './local.js';
export * from './commands.js';

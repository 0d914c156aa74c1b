/**
 * The schedule on its own (`@qsen/core/schedule`): the window, the zone arithmetic, the
 * descriptions for people and the clock, without the HTTP layer or the logger, so that a
 * short-lived client (qsenctl) loads only this.
 */
export * from './clock.js';
export * from './wall-time.js';
export * from './zone.js';
export * from './window.js';
export * from './describe.js';

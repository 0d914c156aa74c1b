// @qsen/setup: install-time tooling (render and check conf.toml, preview the window; the qsen-config command).
export * from './config/render.js';
export * from './schedule/preview.js';

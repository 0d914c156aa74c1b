// @qsen/setup: install-time tooling (render and check conf.toml; the qsen-config command).
export * from './config/render.js';

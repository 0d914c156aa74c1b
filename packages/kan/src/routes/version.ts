/** GET /kan/v1/version. */
import type express from 'express';
import { defineRoute, sendJson, ROLES } from '@qsen/core';
import type { VersionInfo } from '../version.js';

/** Mounts the version endpoint. */
export function mountVersionRoutes(app: express.Express, deps: { version: VersionInfo }): void {
  defineRoute(app, '/kan/v1/version', {
    GET: { roles: ROLES, handler: (_req, res) => sendJson(res, { version: deps.version.version, commit: deps.version.commit, node: deps.version.node }) },
  });
}

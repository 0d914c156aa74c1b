/** GET /kan/v1/version. */
import express from 'express';
import { defineRoute, sendJson, ROLES } from '@qsen/core/http';
import type { VersionInfo } from '../version.js';

/** The version endpoint. */
export function createVersionRoutes(deps: { version: VersionInfo }): express.Router {
  const router = express.Router();
  defineRoute(router, '/kan/v1/version', {
    GET: { roles: ROLES, handler: (_req, res) => sendJson(res, { version: deps.version.version, commit: deps.version.commit, node: deps.version.node }) },
  });
  return router;
}

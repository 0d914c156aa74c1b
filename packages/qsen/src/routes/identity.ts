/**
 * POST /qsen/v1/decrypt (does the SENEBI key open and match its certificate; never the key) and
 * POST /qsen/v1/cert/info (expiry of every certificate in use).
 */
import express from 'express';
import type { QsenConfig } from '@qsen/core/config';
import { defineRoute, ROLES, sendJson } from '@qsen/core/http';
import type { Clock } from '@qsen/core/schedule';
import { describeCertificateFile, openIdentity } from '../identity/identity.js';

/** What the identity routes need. */
export interface IdentityRoutesDeps {
  readonly config: QsenConfig;
  readonly clock: Clock;
}

/** The identity routes. */
export function createIdentityRoutes(deps: IdentityRoutesDeps): express.Router {
  const router = express.Router();
  const { senebi, tls } = deps.config;
  defineRoute(router, '/qsen/v1/decrypt', {
    POST: {
      roles: ROLES,
      bodyFields: [],
      handler: (_req, res) => {
        const { check } = openIdentity(senebi, new Date(deps.clock.now()));
        sendJson(res, { ...check, files: { cert: senebi.cert, key: senebi.key }, testIdentity: senebi.test_identity });
      },
    },
  });
  defineRoute(router, '/qsen/v1/cert/info', {
    POST: {
      roles: ROLES,
      bodyFields: [],
      handler: (_req, res) => {
        const now = new Date(deps.clock.now());
        sendJson(res, {
          server: describeCertificateFile(tls.cert, now),
          clientCa: describeCertificateFile(tls.ca, now),
          senebiAgent: { ...describeCertificateFile(senebi.cert, now), testIdentity: senebi.test_identity },
          senebiCa: describeCertificateFile(senebi.ca, now),
        });
      },
    },
  });
  return router;
}

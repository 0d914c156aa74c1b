/** GET /kan/v1/cmd/top and /kan/v1/cmd/ls: fixed commands, plain text. */
import express from 'express';
import { defineRoute, ROLES } from '@qsen/core/http';
import { runFixedCommand, type FixedCommand } from '../process/commands.js';

/** The command endpoints. */
export function createCmdRoutes(deps: { installDir: string; timeoutMs?: number; maxBytes?: number }): express.Router {
  const router = express.Router();
  for (const command of ['top', 'ls'] as FixedCommand[]) {
    defineRoute(router, `/kan/v1/cmd/${command}`, {
      GET: {
        roles: ROLES,
        handler: async (_req, res) => {
          const out = await runFixedCommand(command, { installDir: deps.installDir, timeoutMs: deps.timeoutMs ?? 10_000, maxBytes: deps.maxBytes ?? 1024 * 1024 });
          const body = Buffer.from(out.output, 'utf8');
          res.status(200);
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.setHeader('Content-Length', body.length);
          res.setHeader('X-Command', out.command);
          res.setHeader('X-Exit-Code', out.exitCode === null ? 'none' : String(out.exitCode));
          res.setHeader('X-Output-Truncated', String(out.truncated));
          res.end(body);
        },
      },
    });
  }
  return router;
}

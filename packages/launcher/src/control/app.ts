/**
 * The control channel's HTTP app (docs/architecture.md): the verbs start / stop / restart and
 * status for each process, answered by the Supervisor. It never listens; `listenControlSocket`
 * serves it on the Unix socket.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError } from '@qsen/core/errors';
import { launcherErrors } from '../errors.js';
import type { LogSink } from '@qsen/core/logging';
import type { Supervisor } from '../supervise/supervisor.js';
import {
  CONTROL_VERBS,
  IF_INVOCATION_PARAM,
  parseIfInvocation,
  isControllableProcessName,
  isOwnedProcessName,
  PROCESSES_PATH,
  type ControlVerb,
  type ProcessListAnswer,
  type ProcessStatus,
} from '@qsen/kan';

/** What the control app needs. */
export interface ControlAppDeps {
  readonly supervisor: Supervisor;
  readonly logger: LogSink;
}

function isVerb(value: string): value is ControlVerb {
  return (CONTROL_VERBS as readonly string[]).includes(value);
}

function methodNotAllowed(allowed: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('allow', allowed);
    next(launcherErrors.create('METHOD_NOT_ALLOWED'));
  };
}

/** Builds the control channel's express app. */
export function createControlApp({ supervisor, logger }: ControlAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get(PROCESSES_PATH, (_req, res) => {
    const answer: ProcessListAnswer = { processes: supervisor.list() };
    res.json(answer);
  });
  app.all(PROCESSES_PATH, methodNotAllowed('GET'));

  app.get(`${PROCESSES_PATH}/:name`, (req, res) => {
    const status: ProcessStatus = supervisor.status(String(req.params['name']));
    res.json(status);
  });
  app.all(`${PROCESSES_PATH}/:name`, methodNotAllowed('GET'));

  app.all(`${PROCESSES_PATH}/:name/:verb`, async (req, res, next) => {
    const name = String(req.params['name']);
    const verb = String(req.params['verb']);
    if (!isVerb(verb)) return next(launcherErrors.create('NOT_FOUND'));
    if (req.method !== 'POST') return methodNotAllowed('POST')(req, res, next);
    if (!isOwnedProcessName(name) || !supervisor.names().includes(name)) {
      return next(launcherErrors.create('UNKNOWN_PROCESS', `no supervised process named ${JSON.stringify(name)}`, { name }));
    }
    if (!isControllableProcessName(name)) {
      return next(launcherErrors.create('VERB_NOT_ALLOWED', `${name} only reports its status over the control channel`, { name, verb }));
    }
    const ifInvocation = parseIfInvocation(req.query[IF_INVOCATION_PARAM]);
    if (ifInvocation === null) {
      return next(launcherErrors.create('INVALID_INVOCATION', undefined, { verb }));
    }
    logger.info(`control: ${verb} ${name}`, { verb, process: name, ifInvocation: ifInvocation ?? null });
    const status = await supervisor[verb](name, ifInvocation);
    logger.info(`control: ${verb} ${name} done`, { verb, process: name, pid: status.pid, invocation: status.invocation, coalesced: status.coalesced === true });
    res.json(status);
  });

  app.use((_req: Request, _res: Response, next: NextFunction) => next(launcherErrors.create('NOT_FOUND')));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const apiError = err instanceof ApiError ? err : launcherErrors.create('INTERNAL_ERROR', undefined, undefined, err);
    if (!(err instanceof ApiError)) logger.error('control: unexpected error', { error: String(err) });
    res.status(apiError.status).json(apiError.toBody());
  });
  return app;
}

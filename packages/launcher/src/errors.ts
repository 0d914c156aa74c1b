/**
 * The launcher's error registry (CONVENTIONS #5). The control channel answers these codes in the
 * contract's error body; the command line reports them with their code.
 */
import { defineErrors, httpErrors } from '@qsen/core/errors';

// The shared HTTP layer's specs, as they are (one source for their status and message).
const { NOT_FOUND, METHOD_NOT_ALLOWED, INTERNAL_ERROR } = httpErrors.specs;

/** Every error the launcher raises, with its HTTP status on the control channel. */
export const launcherErrors = defineErrors({
  NOT_FOUND,
  METHOD_NOT_ALLOWED,
  UNKNOWN_PROCESS: { status: 404, message: 'no such process' },
  VERB_NOT_ALLOWED: { status: 403, message: 'this process only reports its status over the control channel' },
  START_FAILED: { status: 500, message: 'the process could not be started' },
  LAUNCHER_CLOSING: { status: 503, message: 'the launcher is stopping every process' },
  ALREADY_RUNNING: { status: 409, message: 'another launcher already owns this state folder' },
  INVALID_SETTING: { status: 400, message: 'invalid launcher setting' },
  INVALID_INVOCATION: { status: 400, message: 'the invocation parameter must be a non-negative integer' },
  CONTROL_UNREACHABLE: { status: 503, message: 'the launcher control socket does not answer' },
  INTERNAL_ERROR,
});

/** A code of the launcher's registry. */
export type LauncherErrorCode = keyof typeof launcherErrors.specs;

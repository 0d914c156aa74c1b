/**
 * The simulator's error registry (CONVENTIONS #5): the shared HTTP codes plus the simulator's
 * own. Every code is listed in docs/simulator.md.
 */
import { defineErrors, httpErrors } from '@qsen/core';

/** Every error the simulator raises, by code. */
export const simulatorErrors = defineErrors({
  ...httpErrors.specs,
  ORDER_NOT_FOUND: { status: 404, message: 'no order with this id' },
  ORDER_NOT_CANCELLABLE: { status: 409, message: 'the order can no longer be cancelled' },
  ORDER_NOT_RESTING: { status: 409, message: 'the order is not resting, so it cannot be matched' },
  SIMULATED_FAULT: { status: 503, message: 'simulated SENEBI failure' },
  INVALID_FAULTS: { status: 400, message: 'the fault settings are not valid' },
  INVALID_SIMULATOR_CONFIG: { status: 500, message: 'the simulator configuration file is not valid' },
  INVALID_STATE_FILE: { status: 500, message: 'the simulator state file is not valid' },
  INVALID_ARGUMENTS: { status: 500, message: 'the command line is not valid' },
});

/** A code of the simulator's registry. */
export type SimulatorErrorCode = keyof typeof simulatorErrors.specs;

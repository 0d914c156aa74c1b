/**
 * kan's error registry (CONVENTIONS #5): every code kan answers besides the shared HTTP layer's.
 * The table in docs/kan.md lists the same codes; a test checks both agree.
 */
import { defineErrors } from '@qsen/core/errors';

/** The kan error registry: code -> HTTP status and default message. */
export const kanErrors = defineErrors({
  OUTSIDE_TRADING_WINDOW: { status: 409, message: 'qsen must be down now: the trading window is closed' },
  INVALID_LOG_NAME: { status: 400, message: 'the log name is not a plain file name from the log folder' },
  LOG_NOT_FOUND: { status: 404, message: 'no such log file' },
  TRUNCATE_FAILED: { status: 500, message: 'the log could not be truncated' },
  TRUNCATE_BUSY: { status: 503, message: 'another truncation, or a download of the file, is still running; try again' },
  AUDIT_LOG_PROTECTED: { status: 403, message: 'audit files are never truncated or removed through the API' },
  LOGS_BUSY: { status: 503, message: 'too many log requests in flight; try again' },
  INVALID_NODE: { status: 400, message: 'node must be 0, 1 or 2' },
  KAN_QUORUM: { status: 409, message: 'restarting this kan now would leave fewer than two kans up' },
  INVALID_PARAMETER: { status: 400, message: 'a query parameter is not valid' },
  NODE_EXPORTER_UNAVAILABLE: { status: 502, message: 'node_exporter did not answer' },
  NODE_EXPORTER_BUSY: { status: 503, message: 'too many node_exporter scrapes in flight: retry shortly' },
  CLUSTER_NODE_UNAVAILABLE: { status: 502, message: 'the node did not answer the gateway over loopback' },
  CLUSTER_BUSY: { status: 503, message: 'too many cluster calls in flight: retry shortly' },
  PROCESS_CONTROL_FAILED: { status: 502, message: "the process owner (systemd or the launcher) refused or failed" },
  COMMAND_FAILED: { status: 500, message: 'the command failed' },
  COMMAND_TIMEOUT: { status: 504, message: 'the command did not finish in time' },
  JSON_BODY_REQUIRED: { status: 415, message: 'this state change takes a JSON body (Content-Type: application/json)' },
  KAN_UNAVAILABLE: { status: 503, message: "this kan's API could not be loaded (the kan exits so that its owner restarts it) or the kan is stopping: ask another kan" },
  KILL_SWITCH_FAILED: { status: 500, message: "qsen's halt marker could not be written or removed" },
});

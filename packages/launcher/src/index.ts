// @qsen/launcher: the local-mode owner of the QSen processes (npm start / npm run init).
export {
  CONTROL_VERBS, CONTROLLABLE_PROCESS_NAMES, OWNED_PROCESS_NAMES, PROCESSES_PATH, processPath, verbPath, isOwnedProcessName, isControllableProcessName,
  type ControlVerb, type ControllableProcessName, type LifecycleState, type OwnedProcessName, type ProcessExit, type ProcessListAnswer, type ProcessStatus,
} from '@qsen/kan';
export { createControlClient, type ControlClient } from './control/client.js';
export { createControlApp, type ControlAppDeps } from './control/app.js';
export { listenControlSocket, removeStaleSocket, type ControlSocket } from './control/socket.js';
export { launcherErrors, type LauncherErrorCode } from './errors.js';
export {
  createSupervisor, type ProcessSpec, type Supervisor, type SupervisorEvent, type SupervisorOptions,
} from './supervise/supervisor.js';
export { computeRestartDelayMs, countConsecutiveCrashes, DEFAULT_RESTART_POLICY, type RestartPolicySettings } from './supervise/restart-policy.js';
export {
  acquireOwnership, recordChildren, readRecordedChildren, readProcessStartTicks, stopOrphans,
  type OwnershipLock, type RecordedChild, type OrphanOutcome,
} from './supervise/ownership.js';
export {
  initStateFolder, parsePortOverrides, resolveLocalPorts, STANDARD_PORTS, STATE_FOLDERS, CONTROL_SOCKET_RELATIVE,
  type InitStateFolderOptions, type InitStateFolderReport, type LocalPorts,
} from './state/init.js';
export {
  startLocalSystem, buildLocalSpecs, QSEN_NODE_FLAGS, STOP_ORDER, NODE_EXPORTER_DISABLED_COLLECTORS, type LocalSystem, type StartLocalSystemOptions,
} from './system/local-system.js';
export { resolveEntryPoints, findNodeExporter, NODE_EXPORTER_BINARY, type EntryPoints } from './system/entry-points.js';
export { buildReadinessProbes, probeOnce, waitUntilAnswering, type ReadinessProbe } from './system/readiness.js';
export { describeInit, describeLocalSystem, buildCurlCommand, type SystemSummaryInput } from './console/summary.js';

// @qsen/ctl: qsenctl, the operators' mutual-TLS client (bin: qsenctl).
export { runCli, readCtlVersion, type CliEnvironment } from './cli/run.js';
export { parseCommandLine, USAGE, type Command, type Invocation, type GlobalOptions, type OrderFields } from './cli/parse.js';
export { CtlError, EXIT_CODES, CTL_ERROR_CODES, createCtlError, type CtlErrorCode, type CtlErrorKind } from './errors.js';
export { resolveTarget, resolveProfileTarget, resolveStateFolderTarget, defaultProfilePath, type Target, type ProfileInputs } from './profile/profile.js';
export { createClient, loadIdentity, describeErrorAnswer, type QsenClient, type NodeRef, type Answer, type CallOptions, type ClientOptions } from './client/client.js';
export { explainTransportError, diagnoseClientCertificate, type ConnectionContext } from './tls/explain.js';
export { buildStatusReport, describeLastExit, describeNextChange, healthOfFailure, renderStatusReport, type LastExit, type StatusReport, type NodeReport, type Outcome, type WindowReport } from './commands/status.js';
export { selectNewTail, chooseDownloadName } from './commands/logs.js';
export { parsePrometheusText, type MetricFamily, type MetricSample } from './render/metrics.js';
export { renderProgress } from './render/progress.js';
export { renderTable } from './render/table.js';
export { auditRow, describeVerifyReport, splitLines, runAuditQuery, runAuditVerify, type AuditFilters } from './commands/audit.js';

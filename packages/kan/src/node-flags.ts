/**
 * The Node.js flags every kan runs with: the launcher's kan spec passes them and systemd's
 * kan@.service sets them in NODE_OPTIONS (packages/kan/test/node-flags.test.ts keeps the two
 * equal). A 1 MiB young generation: a kan allocates little, and the default semi-space grows to
 * 16 MiB. `--lite-mode` would take 8-9 MiB more off an idle kan but slows its start, and with it
 * a killed kan's recovery, past the 1.5 s bound in local mode (bench/RESULTS.md, "--lite-mode and
 * the recovery bounds"), so it is not among them.
 */
export const KAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

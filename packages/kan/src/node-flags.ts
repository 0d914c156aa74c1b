/**
 * The Node.js flags every kan runs with: the launcher's kan spec passes them and systemd's
 * kan@.service sets them in NODE_OPTIONS (a test keeps the two equal). A kan does little
 * JavaScript work (probes, one decision a second per target, short API calls), so it trades
 * speed for memory (bench/RESULTS.md, "kan idle memory"):
 * - a 1 MiB young generation (a kan allocates little; the default semi-space grows to 16 MiB);
 * - lite mode: no optimizing compiler, no code to keep for it, bytecode flushed when unused;
 *   `--no-expose-wasm` because lite mode turns WebAssembly off anyway and warns on stderr at
 *   every start when it has to (no kan dependency uses WebAssembly).
 */
export const KAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'];

/**
 * The Node.js flags every kan runs with: the launcher's kan spec passes them and systemd's
 * kan@.service puts them in its ExecStart (NODE_OPTIONS refuses `--lite-mode`;
 * packages/kan/test/node-flags.test.ts keeps the two equal). Each is there for an idle kan's
 * memory (docs/kan.md, "Memory"; bench/RESULTS.md, "kan: the front door and the flags"):
 * - `--max-semi-space-size=1`: a 1 MiB young generation (a kan allocates little; the default
 *   semi-space grows to 16 MiB);
 * - `--lite-mode`: V8 without its optimizing compilers, 8-9 MiB less. It slows a kan's start by
 *   about 10%, which with express and the routes loaded at start broke the 1.5 s kill -9 bound in
 *   local mode; since the front door (front-door.ts) a kan starts with less to load, and a lite
 *   kan starts faster than a kan did before it. Lite mode runs V8 jitless, which has no
 *   WebAssembly: `--no-expose-wasm` says so (without it V8 warns on stderr at every start).
 *   Nothing a kan runs uses WebAssembly (its HTTP clients are node:https; `fetch`, whose parser
 *   is WebAssembly, is not used);
 * - `--v8-pool-size=1`: one V8 worker thread instead of four (about 1.5 MiB of thread stacks and
 *   malloc arenas); with no optimizing compiler, it only helps the GC, whose heaps here are small.
 */
export const KAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm', '--v8-pool-size=1'];

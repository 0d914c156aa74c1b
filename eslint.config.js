// Lint rules, including the architecture rules of CONVENTIONS #14:
// child processes only inside the process-control modules, express only inside HTTP layers,
// the nodes (core, qsen, kan) reach @qsen/pki only through its narrow entries, the
// long-running processes reach @qsen/core only through its domain entries, and the browser
// console (@qsen/console) is a leaf whose page scripts import no Node.js module.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const childProcessModules = ['child_process', 'node:child_process', 'execa'];
const pkiRoot = [
  { name: '@qsen/pki', message: 'Import @qsen/pki/verify (TLS gate) or @qsen/pki/inspect (own identity), not the package root.' },
  { name: 'node-forge', message: 'node-forge stays inside @qsen/pki.' },
];
const coreRoot = { name: '@qsen/core', message: 'Import the domain entry (@qsen/core/http, /logging, /config, /schedule, /metrics, /ids, /json, /errors, /liveness, /storage, /killswitch), not the root, which loads all of core.' };
// prom-client's root loads its default metrics (and @opentelemetry/api), Summary, the Pushgateway
// and the cluster aggregator: the nodes take its classes from @qsen/core/metrics (prom-modules.ts).
const promClientRoot = { name: 'prom-client', allowTypeImports: true, message: 'Import Counter, Gauge, Histogram from @qsen/core/metrics (each from its own module), not prom-client\'s root.' };

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.qsen-local/**', 'bench/out/**', '**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Production sources: architecture boundaries.
    files: ['packages/*/src/**/*.ts'],
    ignores: [
      'packages/kan/src/process/**',
      'packages/kan/src/logs/collapse.ts',
      'packages/launcher/src/supervise/**',
      'packages/testkit/src/**',
    ],
    rules: {
      'no-restricted-imports': ['error', {
        paths: childProcessModules.map((name) => ({ name, message: 'Child processes only inside the process-control modules (kan/src/process, kan/src/logs/collapse.ts, launcher/src/supervise).' })),
      }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: [
      'packages/*/src/http/**',
      'packages/*/src/routes/**',
      'packages/*/src/app.ts',
      'packages/launcher/src/control/**',
      'packages/kan/src/process/**',
      'packages/kan/src/logs/collapse.ts',
      'packages/launcher/src/supervise/**',
      'packages/testkit/src/**',
    ],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...childProcessModules.map((name) => ({ name, message: 'Child processes only inside the process-control modules (kan/src/process, kan/src/logs/collapse.ts, launcher/src/supervise).' })),
          { name: 'express', message: 'express only inside the HTTP layers (src/http, src/routes, src/app.ts).' },
        ],
      }],
    },
  },
  {
    // The browser console (@qsen/console) is a leaf: a browser client and its static files,
    // importing no other workspace package; its page scripts run in the browser and import no
    // Node.js module (docs/console.md, "For developers"). kan serves it; nothing else imports it.
    files: ['packages/console/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...childProcessModules.map((name) => ({ name, message: 'The console runs no program.' })),
          { name: 'express', message: 'The console serves nothing itself: its routes are kan\'s (packages/kan/src/routes/console.ts).' },
        ],
        patterns: [{ group: ['@qsen/*'], message: '@qsen/console is a leaf: it imports no other workspace package.' }],
      }],
    },
  },
  {
    files: ['packages/console/src/page/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@qsen/*'], message: '@qsen/console is a leaf: it imports no other workspace package.' },
          { group: ['node:*', 'fs', 'path', 'os', 'http', 'https', 'net', 'tls', 'child_process', 'express', 'execa'], message: 'The page scripts run in the browser: no Node.js module.' },
        ],
      }],
    },
  },
  // The nodes load only the pki functions they use: the forge-free TLS-gate readers
  // (@qsen/pki/verify) and, where needed, the identity checks (@qsen/pki/inspect); never the
  // issuance code of the package root, never node-forge itself (docs/architecture.md). And they
  // load only the parts of core they use, through its domain entries (@qsen/core/http,
  // /logging, /config, ...), never its root, which loads all of core with the configuration
  // validator; a kan never loads the validator itself (@qsen/core/config/load): its
  // configuration is validated in a worker thread (loadConfigOffThread).
  {
    files: ['packages/core/src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: pkiRoot }] },
  },
  {
    files: ['packages/qsen/src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [...pkiRoot, coreRoot, promClientRoot] }] },
  },
  {
    files: ['packages/kan/src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [...pkiRoot, coreRoot, promClientRoot] }] },
  },
  {
    files: ['packages/launcher/src/**/*.ts', 'packages/ctl/src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [coreRoot] }] },
  },
);

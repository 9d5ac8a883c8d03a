import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The boundaries of the house (docs/architecture.md): the pure folders import no effect and no
 * adapter, and nothing imports in a circle. A slip fails the test command, not a review.
 */

const TESTS = ['**/*.test.ts', '**/*.itest.ts'];

/** Node modules that reach the disk, the network, processes or the machine. */
const EFFECTS = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'dns',
  'os',
  'tls',
  'worker_threads',
  'cluster',
  'readline',
].flatMap((m) => [m, `node:${m}`]);

/** Folders of adapters and edges: the pure core never reaches them. */
const ADAPTERS = [
  'runtime',
  'store',
  'config-repo',
  'config-dir',
  'api',
  'server',
  'cli',
  'release/metrics',
  'release/notify',
];

function pure(files, why) {
  return {
    files,
    ignores: TESTS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...EFFECTS.map((name) => ({
              name,
              message: `${why}: no disk, network or process effect here; put it in an adapter.`,
            })),
            {
              name: '@switchyard/worker',
              message: `${why}: import only the SDK's pure modules (@switchyard/worker/units, /contract).`,
            },
          ],
          patterns: [
            {
              regex: `(^|/)(${ADAPTERS.join('|')})(/|$)`,
              message: `${why}: the pure core imports no adapter; take what you need through a port.`,
            },
            {
              regex: '(^|/)release/orchestrator(\\.js)?$',
              message: `${why}: the orchestrator runs effects; depend on the release machine or its ports.`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'rendered/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.test.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  pure(['packages/switchyard/src/spec/**/*.ts'], 'spec is pure'),
  pure(['packages/switchyard/src/render/**/*.ts'], 'render is pure'),
  pure(['packages/switchyard/src/policy/**/*.ts'], 'policy is pure'),
  pure(['packages/switchyard/src/router/**/*.ts'], 'router is pure'),
  pure(['packages/switchyard/src/release/*.ts'], 'the release machine is pure'),
  pure(['packages/switchyard/src/health/**/*.ts'], 'the health model is pure'),
  pure(['packages/switchyard/src/alerts/*.ts'], 'the alert rules are pure'),
  {
    files: ['packages/switchyard/src/release/orchestrator.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);

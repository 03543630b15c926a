// Lint rules: typescript-eslint with type information everywhere the tsconfigs reach, React hooks rules for the dashboard.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'web/dist/', 'test-artifacts/', 'node_modules/', 'coverage/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', '.dependency-cruiser.js', 'web/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // node:test's describe/it/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
      }],
      // Off: every finding was an async method implementing a Promise interface (store, token reviewer, Fastify
      // plugin) synchronously, where `async` is what turns a throw into a rejection; dropping it would change behaviour.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // From strictTypeChecked/stylisticTypeChecked: the rules that catch real mistakes here. Left out on purpose:
      // no-non-null-assertion and dot-notation (noUncheckedIndexedAccess and JSON index access make them noise),
      // no-confusing-void-expression (flags every `() => f()` shorthand whose f returns nothing), prefer-nullish-coalescing (`||` on '' and 0 is meant),
      // no-unnecessary-type-conversion (its String() findings wrap driver and header values kept as a guard on declared types),
      // prefer-optional-chain (its rewrites of `!x || x.y !== z` read worse than the original),
      // no-unnecessary-boolean-literal-compare (Node types `isTTY` as boolean, but it is undefined on a pipe).
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/no-misused-spread': 'error',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'error',
      '@typescript-eslint/no-unnecessary-template-expression': 'error',
      '@typescript-eslint/prefer-includes': 'error',
      '@typescript-eslint/prefer-string-starts-ends-with': 'error',
    },
  },
  {
    // The chart tests walk rendered manifests through a deliberately loose `Record<string, any>`: a wrong path fails
    // the assertion anyway, and typing every manifest would triple the tests.
    files: ['test/integration/helm-chart.test.ts', 'test/e2e/helm-chart.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      // Off: its three findings are loaders resetting their loading state when their request changes; the remedy
      // (state keyed by request) would restructure them for no change in behaviour.
      'react-hooks/set-state-in-effect': 'off',
    },
  },
);

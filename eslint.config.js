// @ts-check
/**
 * Lint: typescript-eslint's recommended rules, and the type-checked rules
 * that catch lost effects: a promise nobody awaits in a listener is work
 * that silently never happens (no-floating-promises, no-misused-promises).
 * Formatting is Prettier's (npm run format:check).
 */
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.stryker-tmp/**', 'node_modules/**', 'docs/**', 'reports/**', '.data/**', 'src/slack-standin/web/public/**', '*.config.js', '*.config.cjs', '*.config.ts', '.dependency-cruiser.cjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Plain JS at the root and in scripts/ is outside tsconfig.json: the default project types it.
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);

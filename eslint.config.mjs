// ESLint flat config: typescript-eslint with type information, plus the project's one dependency rule.
import tseslint from 'typescript-eslint';

const noVscodeInCore = {
  'no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'vscode', message: 'src/trueconf and src/common must not depend on vscode: keep them plain Node.' }],
    },
  ],
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '.sandbox/**', 'bench/tmp/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      eqeqeq: ['error', 'always'],
      curly: 'error',
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['src/trueconf/**/*.ts', 'src/common/**/*.ts'],
    rules: noVscodeInCore,
  },
  {
    // Every message shown to the user goes through src/services/messages.ts, which also logs it.
    files: ['src/**/*.ts'],
    ignores: ['src/services/messages.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^show(Error|Warning|Information)Message$/][object.property.name="window"]',
          message: 'Show messages through src/services/messages.ts so they are logged (redacted) like everything else.',
        },
      ],
    },
  },
);

// Lint: typescript-eslint's type-aware recommended rules over the TypeScript sources, plain recommended rules over the build scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'kernels/wasm/assembly/',
      'kernels/wasm/generated/',
      'reproduction/',
      'bench-results/',
      'runs/',
      '.tmp/',
      '.device/',
      'docs/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Error messages put shapes (number arrays) and numbers in template strings on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowArray: true }],
      // `_x` marks a deliberately unused parameter (as tsconfig's noUnusedParameters allows); `{ a: _a, ...rest }` drops a key.
      // An async function without await is how a function that must return a Promise turns its throws into rejections.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', WebAssembly: 'readonly' },
    },
  },
);

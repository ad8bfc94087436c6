import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer rules of DESIGN.md, enforced: each zone lists the folders its files may not import.
 * Paths are matched on the import specifier, so a relative `../../runtime/x.js` is caught too.
 */
function forbid(folders, why, extraPackages = []) {
  return [
    'error',
    {
      patterns: [
        { regex: `(^|/)(${folders.join('|')})/`, message: why },
        ...extraPackages.map((name) => ({ group: [name, `${name}/**`], message: why })),
      ],
    },
  ];
}

const layerZones = [
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['runtime', 'controllers', 'push', 'grpc', 'agent', 'cli', 'envtest', 'storage'],
        'domain/ is pure logic: no Kubernetes, network or storage I/O (DESIGN.md, "Shape of the code")',
        ['@kubernetes/client-node', '@grpc/grpc-js'],
      ),
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['domain', 'controllers', 'push', 'grpc', 'agent', 'cli', 'v1alpha1'],
        'runtime/ is a generic controller runtime: it knows nothing about our kinds or what is pushed',
      ),
    },
  },
  {
    files: ['src/push/**/*.ts'],
    // Its tests exchange real updates with the reference agent.
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['controllers', 'cli', 'agent'],
        'push/ is transport only: it sees domain snapshots, never controllers or custom resources',
      ),
    },
  },
  {
    files: ['src/storage/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['controllers', 'push', 'grpc', 'cli'],
        'storage/ is below controllers, push, grpc and cli: they use it, not the reverse',
        ['@kubernetes/client-node'],
      ),
    },
  },
  {
    files: ['src/dbops/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['controllers', 'push', 'grpc', 'cli', 'agent'],
        'dbops/ is the I/O of database operations: controllers and cli use it, not the reverse',
      ),
    },
  },
  {
    files: ['src/controllers/**/*.ts', 'src/grpc/**/*.ts', 'src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(['cli'], 'cli/ is wiring: nothing imports it'),
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'src/generated/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // client-node's API models are classes that its own examples fill with object literals.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...layerZones,
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);

/**
 * What each long-running command loads at start (issue 18): the static, value-level import graph
 * from its entry file, read with the TypeScript parser. Type-only imports are erased by the
 * compiler and `import()` calls load on use, so neither counts. A package that is not in this
 * graph is not in the process's memory until a code path asks for it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { REPO_ROOT } from '../../src/envtest/assets.js';

/** Specifiers a file imports for their values when it is evaluated. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.phaseModifier === ts.SyntaxKind.TypeKeyword) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes && ts.isStringLiteral(statement.moduleSpecifier))
        specifiers.push(statement.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(statement) &&
      !statement.isTypeOnly &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/** The packages (bare specifiers, `node:` excluded) loaded by evaluating `entry`. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [resolve(REPO_ROOT, entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('.')) queue.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:')) {
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, relative(REPO_ROOT, file));
      }
    }
  }
  return packages;
}

describe('what the long-running commands load at start', () => {
  it('the operator loads neither @kubernetes/client-node nor what only some installations use', () => {
    const loaded = packagesLoadedBy('src/cli/operator.ts');
    // client-node: its whole generated API (+70 MiB RSS); the others load on first use (echarts
    // with the first report, @grpc/reflection with the first reflection call).
    for (const name of [
      '@kubernetes/client-node',
      'acme-client',
      'nodemailer',
      'maxmind',
      '@aws-sdk/client-s3',
      'echarts',
      '@grpc/reflection',
    ])
      expect(loaded.get(name), `${name} imported by`).to.equal(undefined);
    // The graph is real: the operator's own dependencies are found.
    expect([...loaded.keys()]).to.include.members(['@grpc/grpc-js', 'pg', '@peculiar/x509']);
  });

  it('the agent loads none of the operator-only packages', () => {
    const loaded = packagesLoadedBy('src/cli/agent.ts');
    for (const name of ['@kubernetes/client-node', 'acme-client', 'pg', '@electric-sql/pglite', 'nodemailer'])
      expect(loaded.get(name), `${name} imported by`).to.equal(undefined);
    expect([...loaded.keys()]).to.include('@grpc/grpc-js');
  });
});

/**
 * The container image without a Docker engine: the Dockerfile is checked statically (Node 22
 * LTS base, production dependencies only, numeric non-root user, entrypoint and ports), and the
 * layout it produces — dist/ from `tsc -p tsconfig.build.json`, bin/, package.json and production
 * dependencies — is built in a temp folder and run.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../../src/envtest/assets.js';

const run = promisify(execFile);

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** Index of the FROM stage the instruction belongs to. */
  readonly stage: number;
}

/** Dockerfile instructions, with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  const result: Instruction[] = [];
  let stage = -1;
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    if (keyword === 'FROM') stage += 1;
    result.push({ keyword, args: match[2]!.replace(/\s+/g, ' ').trim(), stage });
  }
  return result;
}

/** The .dockerignore patterns (no negations are used), as plain strings. */
function dockerignore(): string[] {
  return readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** Bare module specifiers (packages) imported by a compiled ES module. */
function importedPackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('container image', function () {
  this.timeout(180_000);
  const dockerfile = instructions(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const finalStage = Math.max(...dockerfile.map((i) => i.stage));
  const final = dockerfile.filter((i) => i.stage === finalStage);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };

  it('builds every stage on node:22-bookworm-slim (Node 22 LTS)', () => {
    const base = dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(base?.args).to.equal('NODE_IMAGE=node:22-bookworm-slim');
    const froms = dockerfile.filter((i) => i.keyword === 'FROM');
    expect(froms.length).to.be.greaterThanOrEqual(2);
    for (const from of froms) expect(from.args).to.match(/^\$\{NODE_IMAGE\}( AS \w+)?$/);
  });

  it('compiles with every dependency, then ships production dependencies only', () => {
    const runs = (stage: number): string[] =>
      dockerfile.filter((i) => i.stage === stage && i.keyword === 'RUN').map((i) => i.args);
    const build = dockerfile.find((i) => i.keyword === 'FROM' && / AS build$/.test(i.args))!.stage;
    expect(runs(build).join('\n')).to.match(/npm ci\b(?!.*--omit)/);
    expect(runs(build).join('\n')).to.include('npm run build');

    const copies = final.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    const modulesFrom = /--from=(\w+) \/app\/node_modules/.exec(copies.join('\n'))?.[1];
    const dependencies = dockerfile.find(
      (i) => i.keyword === 'FROM' && i.args.endsWith(` AS ${modulesFrom}`),
    );
    expect(dependencies, 'node_modules comes from a named stage').to.not.equal(undefined);
    expect(runs(dependencies!.stage).join('\n')).to.include('npm ci --omit=dev');
    expect(copies).to.include('--from=build /app/dist ./dist');
    expect(copies).to.include.members(['package.json ./', 'bin ./bin']);
    expect(copies.join('\n'), 'no sources, tests or CRDs in the image').not.to.match(/\b(src|test|crds)\b/);
  });

  it('runs as a numeric non-root user, node bin/gateway-worker.js operator, exposing 8080 and 8081', () => {
    const users = final.filter((i) => i.keyword === 'USER');
    expect(users.map((u) => u.args)).to.deep.equal(['65532:65532']);
    expect(final.findIndex((i) => i.keyword === 'USER')).to.be.greaterThan(
      final.map((i) => i.keyword).lastIndexOf('RUN'),
      'nothing runs as root after USER',
    );
    expect(final.find((i) => i.keyword === 'ENTRYPOINT')?.args).to.equal('["node", "bin/gateway-worker.js"]');
    expect(final.find((i) => i.keyword === 'CMD')?.args).to.equal('["operator"]');
    expect(final.find((i) => i.keyword === 'EXPOSE')?.args).to.equal('8080 8081');
    expect(final.find((i) => i.keyword === 'ENV')?.args).to.include('HOME=/tmp');
  });

  it("ships pg_dump and pg_restore (PGDG's newest client) for DatabaseBackup", () => {
    const major = final.find((i) => i.keyword === 'ARG' && i.args.startsWith('PG_CLIENT_MAJOR='));
    expect(Number(major?.args.split('=')[1])).to.be.greaterThanOrEqual(17);
    const run = final
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).to.include('apt.postgresql.org.sh -y');
    expect(run).to.include('postgresql-client-${PG_CLIENT_MAJOR}');
    expect(run, 'no apt lists left in the image').to.include('rm -rf /var/lib/apt/lists/*');
  });

  it('.dockerignore keeps local state out of the context but every COPY source in', () => {
    const ignored = dockerignore();
    expect(ignored).to.include.members(['node_modules', 'dist', 'coverage', '.git', 'test', 'docs', 'bench']);
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), `${source} exists`).to.equal(true);
      expect(ignored, `${source} is in the build context`).not.to.include(source);
    }
  });

  it('the compiled program runs from the image layout and imports production dependencies only', async () => {
    const work = mkdtempSync(join(tmpdir(), 'gateway-worker-image-'));
    const build = join(work, 'build');
    const app = join(work, 'app');
    try {
      // The build stage: tsc, then the rest of its RUN line (data files tsc does not copy).
      const buildRun = dockerfile.find((i) => i.keyword === 'RUN' && i.args.startsWith('npm run build'))!;
      const afterBuild = buildRun.args.replace(/^npm run build\s*(&&\s*)?/, '');
      mkdirSync(build);
      symlinkSync(join(REPO_ROOT, 'src'), join(build, 'src'), 'dir');
      await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(build, 'dist')], {
        cwd: REPO_ROOT,
      });
      if (afterBuild) await run('bash', ['-euc', afterBuild], { cwd: build });

      // The runtime stage: dist/, bin/, package.json and node_modules, no src/.
      mkdirSync(app);
      cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true });
      cpSync(join(REPO_ROOT, 'bin'), join(app, 'bin'), { recursive: true });
      cpSync(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');

      const files = filesUnder(join(app, 'dist')).filter((f) => f.endsWith('.js'));
      expect(files.map((f) => relative(app, f))).to.include('dist/cli/main.js');
      expect(
        files.some((f) => f.endsWith('.test.js')),
        'no tests in dist/',
      ).to.equal(false);
      const packages = new Set(files.flatMap((f) => importedPackages(readFileSync(f, 'utf8'))));
      expect(
        [...packages].filter((name) => !(name in pkg.dependencies)),
        'imports outside dependencies',
      ).to.deep.equal([]);
      // Data files generated beside the code (the gRPC descriptor set) must reach dist/ too.
      const generated = join(REPO_ROOT, 'src', 'generated');
      const dataFiles = existsSync(generated)
        ? filesUnder(generated)
            .filter((f) => !f.endsWith('.ts'))
            .map((f) => relative(generated, f))
        : [];
      for (const file of dataFiles) {
        expect(existsSync(join(app, 'dist', 'generated', file)), `dist/generated/${file}`).to.equal(true);
      }

      const env = { PATH: process.env.PATH, HOME: app };
      const version = await run(process.execPath, ['bin/gateway-worker.js', '--version'], { cwd: app, env });
      expect(version.stdout.trim()).to.equal(pkg.version);
      const help = await run(process.execPath, ['bin/gateway-worker.js', '--help'], { cwd: app, env });
      expect(help.stdout).to.include('Usage: gateway-worker');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

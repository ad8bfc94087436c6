import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../src/envtest/assets.js';

const BUF = join(REPO_ROOT, 'node_modules', '.bin', 'buf');
const RELEASED = join(REPO_ROOT, 'proto', 'released', 'v0.1.0.binpb');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('the gRPC contract (proto/)', function () {
  this.timeout(60_000);

  it('passes buf lint (STANDARD)', () => {
    const result = spawnSync(BUF, ['lint', 'proto'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(result.stdout + result.stderr).to.equal('');
    expect(result.status).to.equal(0);
  });

  it('has no breaking change against the last released descriptor set', () => {
    const result = spawnSync(BUF, ['breaking', 'proto', '--against', RELEASED], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).to.equal('');
    expect(result.status).to.equal(0);
  });

  it('would catch a breaking change (a renumbered field)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proto-breaking-'));
    try {
      cpSync(join(REPO_ROOT, 'proto'), dir, { recursive: true });
      const file = join(dir, 'gateway', 'worker', 'v1', 'resources.proto');
      writeFileSync(file, readFileSync(file, 'utf8').replace('bytes payload = 3;', 'bytes payload = 9;'));
      const result = spawnSync(BUF, ['breaking', dir, '--against', RELEASED], { encoding: 'utf8' });
      expect(result.status).to.not.equal(0);
      expect(result.stdout).to.contain('payload');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('src/generated is exactly what scripts/generate-proto.sh writes', () => {
    const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
    try {
      execFileSync('bash', [join(REPO_ROOT, 'scripts', 'generate-proto.sh'), out], { cwd: REPO_ROOT });
      const fresh = join(out, 'src', 'generated');
      const committed = join(REPO_ROOT, 'src', 'generated');
      const names = (dir: string) =>
        filesUnder(dir)
          .map((f) => relative(dir, f))
          .sort();
      expect(names(committed), 'stale src/generated: run scripts/generate-proto.sh').to.deep.equal(
        names(fresh),
      );
      for (const name of names(fresh)) {
        expect(
          readFileSync(join(committed, name)).equals(readFileSync(join(fresh, name))),
          `${name} is stale`,
        ).to.equal(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

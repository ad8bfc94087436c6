import { expect } from 'chai';
import { checksumOf, parseMigrations, type SourceFile } from './migration-files.js';
import { planMigrations, type HistoryRow, type PlanOptions } from './migration-plan.js';

const file = (name: string, content = `-- ${name}\nSELECT 1;`): SourceFile => ({
  name,
  content,
  source: 'configmap/m',
});
let rank = 0;
const applied = (
  version: string,
  content = `-- V${version}__x.sql\nSELECT 1;`,
  type: 'SQL' | 'UNDO' = 'SQL',
): HistoryRow => ({
  installedRank: (rank += 1),
  version,
  description: 'x',
  type,
  script: `V${version}__x.sql`,
  checksum: checksumOf(content),
  installedAt: new Date(0),
});
const options: PlanOptions = { allowOutOfOrder: false };

describe('planMigrations', () => {
  const files = [file('V1__x.sql'), file('V2__x.sql'), file('V3__x.sql')];

  it('applies every file to an empty database, in order', () => {
    const plan = planMigrations(parseMigrations(files), [], options);
    expect(plan.blocked).to.equal(undefined);
    expect(plan.apply.map((f) => f.version)).to.deep.equal(['1', '2', '3']);
    expect(plan.currentVersion).to.equal(undefined);
    expect(plan.latestVersion).to.equal('3');
  });

  it('applies only what the history lacks', () => {
    const plan = planMigrations(parseMigrations(files), [applied('1'), applied('2')], options);
    expect(plan.apply.map((f) => f.version)).to.deep.equal(['3']);
    expect(plan.currentVersion).to.equal('2');
  });

  it('an edited applied file is drift: nothing is applied, the file and both checksums are named', () => {
    const edited = [file('V1__x.sql', 'SELECT 2;'), file('V2__x.sql'), file('V3__x.sql')];
    const plan = planMigrations(parseMigrations(edited), [applied('1')], options);
    expect(plan.apply).to.deep.equal([]);
    expect(plan.drift.map((d) => d.version)).to.deep.equal(['1']);
    expect(plan.blocked?.reason).to.equal('Drifted');
    expect(plan.blocked?.message).to.match(/V1__x\.sql \(applied [0-9a-f]{12}, now [0-9a-f]{12}\)/);
  });

  it('refuses a file below the applied version unless out-of-order is allowed', () => {
    const history = [applied('1'), applied('3')];
    const refused = planMigrations(parseMigrations(files), history, options);
    expect(refused.blocked?.reason).to.equal('OutOfOrder');
    expect(refused.blocked?.message).to.match(
      /V2__x\.sql has a version below the applied version 3; set allowOutOfOrder: true/,
    );
    const allowed = planMigrations(parseMigrations(files), history, { allowOutOfOrder: true });
    expect(allowed.blocked).to.equal(undefined);
    expect(allowed.apply.map((f) => f.version)).to.deep.equal(['2']);
  });

  it('reports applied versions whose file is gone without blocking', () => {
    const plan = planMigrations(parseMigrations([file('V2__x.sql')]), [applied('1')], options);
    expect(plan.missing).to.deep.equal(['1']);
    expect(plan.blocked).to.equal(undefined);
    expect(plan.apply.map((f) => f.version)).to.deep.equal(['2']);
  });

  it('stops at the target version', () => {
    const plan = planMigrations(parseMigrations(files), [], { ...options, targetVersion: '2' });
    expect(plan.apply.map((f) => f.version)).to.deep.equal(['1', '2']);
  });

  it('undoes down to a lower target, newest first, with the undo files', () => {
    const withUndo = [...files, file('U2__x.sql'), file('U3__x.sql')];
    const plan = planMigrations(parseMigrations(withUndo), [applied('1'), applied('2'), applied('3')], {
      ...options,
      targetVersion: '1',
    });
    expect(plan.blocked).to.equal(undefined);
    expect(plan.undo.map((f) => f.name)).to.deep.equal(['U3__x.sql', 'U2__x.sql']);
    expect(plan.apply).to.deep.equal([]);
  });

  it('refuses to go back without an undo file for every version on the way', () => {
    const plan = planMigrations(
      parseMigrations([...files, file('U3__x.sql')]),
      [applied('1'), applied('2'), applied('3')],
      {
        ...options,
        targetVersion: '1',
      },
    );
    expect(plan.blocked?.reason).to.equal('UndoMissing');
    expect(plan.blocked?.message).to.match(/needs an undo file for 2/);
  });

  it('an undone version counts as not applied', () => {
    const plan = planMigrations(
      parseMigrations(files),
      [applied('1'), applied('2'), applied('2', undefined, 'UNDO')],
      options,
    );
    expect(plan.applied.map((a) => a.version)).to.deep.equal(['1']);
    expect(plan.apply.map((f) => f.version)).to.deep.equal(['2', '3']);
  });

  it('file problems block everything and say how many there are', () => {
    const plan = planMigrations(
      parseMigrations([...files, file('bad.sql'), file('also-bad.sql')]),
      [],
      options,
    );
    expect(plan.blocked?.reason).to.equal('InvalidMigrations');
    expect(plan.blocked?.message).to.match(
      /\(and 1 more problem\); nothing is applied until the files are fixed$/,
    );
  });

  it('an unknown target version is refused', () => {
    const plan = planMigrations(parseMigrations(files), [], { ...options, targetVersion: '9' });
    expect(plan.blocked?.reason).to.equal('TargetNotFound');
  });
});

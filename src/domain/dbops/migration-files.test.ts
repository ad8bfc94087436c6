import { expect } from 'chai';
import {
  canonicalVersion,
  checksumOf,
  compareVersions,
  parseFileName,
  parseMigrations,
  type SourceFile,
} from './migration-files.js';

const file = (name: string, content = 'SELECT 1;', source = 'configmap/m'): SourceFile => ({
  name,
  content,
  source,
});

describe('migration file names', () => {
  const cases: [string, ReturnType<typeof parseFileName>][] = [
    ['V1__create_users.sql', { type: 'versioned', version: '1', description: 'create users' }],
    ['V1.2__add_index.sql', { type: 'versioned', version: '1.2', description: 'add index' }],
    ['V1_2__add_index.sql', { type: 'versioned', version: '1.2', description: 'add index' }],
    ['U3__drop.sql', { type: 'undo', version: '3', description: 'drop' }],
    ['001_initial_schema.sql', { type: 'versioned', version: '1', description: 'initial schema' }],
    [
      '20240101120000_add_users.up.sql',
      { type: 'versioned', version: '20240101120000', description: 'add users' },
    ],
    ['2_add_index.down.sql', { type: 'undo', version: '2', description: 'add index' }],
    ['README.sql', undefined],
    ['V1_create.sql', undefined],
    ['v1__lowercase.sql', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name} → ${expected ? `${expected.type} ${expected.version}` : 'not a migration'}`, () => {
      expect(parseFileName(name)).to.deep.equal(expected);
    });
  }

  it('canonical versions drop leading zeros and trailing zero parts', () => {
    expect(['001', '1.0', '1.02', '0010.0.1'].map(canonicalVersion)).to.deep.equal([
      '1',
      '1',
      '1.2',
      '10.0.1',
    ]);
  });

  it('orders versions part by part, numerically', () => {
    const sorted = ['1.10', '2', '1.9', '1', '10', '1.9.1'].sort(compareVersions);
    expect(sorted).to.deep.equal(['1', '1.9', '1.9.1', '1.10', '2', '10']);
  });
});

describe('parseMigrations', () => {
  it('reads versioned and undo files in version order and ignores other keys', () => {
    const parsed = parseMigrations([
      file('V2__two.sql'),
      file('V10__ten.sql'),
      file('001_one.sql'),
      file('U2__two.sql'),
      file('README.md', 'not sql'),
    ]);
    expect(parsed.problems).to.deep.equal([]);
    expect(parsed.versioned.map((f) => f.version)).to.deep.equal(['1', '2', '10']);
    expect([...parsed.undo.keys()]).to.deep.equal(['2']);
  });

  it('checksums ignore CRLF line endings and a byte-order mark, but not edits', () => {
    expect(checksumOf('SELECT 1;\r\nSELECT 2;\r\n')).to.equal(checksumOf('\uFEFFSELECT 1;\nSELECT 2;\n'));
    expect(checksumOf('SELECT 1;')).not.to.equal(checksumOf('SELECT 2;'));
  });

  it('marks files that run outside a transaction, in our spelling or Atlas’s', () => {
    const parsed = parseMigrations([
      file('V1__a.sql', '-- gateway-worker:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);'),
      file('V2__b.sql', '-- atlas:txmode none\nCREATE INDEX CONCURRENTLY j ON t (y);'),
      file('V3__c.sql', 'CREATE TABLE t (x int);'),
    ]);
    expect(parsed.problems).to.deep.equal([]);
    expect(parsed.versioned.map((f) => f.transactional)).to.deep.equal([false, false, true]);
  });

  const problems: { name: string; files: SourceFile[]; message: RegExp }[] = [
    {
      name: 'a .sql name that follows neither naming',
      files: [file('create_users.sql')],
      message: /not a migration file name: name versioned files V<version>__<description>\.sql/,
    },
    {
      name: 'two files of one version',
      files: [file('V1__a.sql'), file('001_b.sql', 'SELECT 1;', 'configmap/other')],
      message: /version 1 is also used by 001_b\.sql \(configmap\/other\)/,
    },
    {
      name: 'an undo file without its versioned file',
      files: [file('U4__x.sql')],
      message: /undoes version 4/,
    },
    {
      name: 'CREATE INDEX CONCURRENTLY in a transactional file',
      files: [file('V1__idx.sql', 'CREATE TABLE t (x int);\nCREATE INDEX CONCURRENTLY i ON t (x);')],
      message:
        /statement 2 \(line 2\) is CREATE INDEX CONCURRENTLY, which cannot run inside a transaction: put "-- gateway-worker:no-transaction"/,
    },
    {
      name: 'BEGIN and COMMIT of its own',
      files: [file('V1__tx.sql', 'BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;')],
      message: /statement 1 \(line 1\) is BEGIN: each file already runs in a transaction of its own/,
    },
    {
      name: 'a file without SQL',
      files: [file('V1__empty.sql', '-- nothing yet\n')],
      message: /holds no SQL statement/,
    },
  ];
  for (const c of problems) {
    it(`refuses ${c.name}`, () => {
      const parsed = parseMigrations(c.files);
      expect(parsed.problems.map((p) => p.message).join('\n')).to.match(c.message);
    });
  }
});

import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { GATEWAY_SCHEMA_FILE } from '../../../test/fixtures/gateway-reference/paths.js';
import { leadingWords, splitSql } from './sql-split.js';

describe('splitSql', () => {
  const cases: { name: string; sql: string; texts: string[] }[] = [
    { name: 'splits on semicolons', sql: 'SELECT 1; SELECT 2;', texts: ['SELECT 1', 'SELECT 2'] },
    {
      name: 'keeps a last statement without a semicolon',
      sql: 'SELECT 1;\nSELECT 2',
      texts: ['SELECT 1', 'SELECT 2'],
    },
    {
      name: 'ignores semicolons in strings, doubled quotes included',
      sql: "INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 2",
      texts: ["INSERT INTO t VALUES ('a;b', 'it''s; fine')", 'SELECT 2'],
    },
    {
      name: "ignores semicolons in E'' strings with backslash escapes",
      sql: "SELECT E'a\\';b'; SELECT 2",
      texts: ["SELECT E'a\\';b'", 'SELECT 2'],
    },
    {
      name: 'ignores semicolons in quoted identifiers',
      sql: 'CREATE TABLE "a;b" (x int); SELECT 2',
      texts: ['CREATE TABLE "a;b" (x int)', 'SELECT 2'],
    },
    {
      name: 'keeps dollar-quoted function bodies whole',
      sql: 'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql; SELECT 2',
      texts: [
        'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql',
        'SELECT 2',
      ],
    },
    {
      name: 'keeps SQL-standard BEGIN ATOMIC bodies whole',
      sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3;',
      texts: [
        'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
        'SELECT 3',
      ],
    },
    {
      name: 'ignores semicolons in line and nested block comments, and drops comment-only pieces',
      sql: '-- one; two\nSELECT 1; /* a; /* nested; */ b; */ ; SELECT 2',
      texts: ['SELECT 1', 'SELECT 2'],
    },
    {
      name: 'does not take $1 for a dollar quote',
      sql: 'SELECT $1; SELECT 2',
      texts: ['SELECT $1', 'SELECT 2'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(splitSql(c.sql).map((s) => s.text)).to.deep.equal(c.texts);
    });
  }

  it('numbers statements and gives the line each starts on', () => {
    const statements = splitSql('\n-- header\nSELECT 1;\n\n  SELECT\n  2;\nSELECT 3;');
    expect(statements.map((s) => [s.index, s.line])).to.deep.equal([
      [1, 3],
      [2, 5],
      [3, 7],
    ]);
  });

  it('hides string contents and comments from keyword checks', () => {
    const [statement] = splitSql("SELECT 'VACUUM' -- CONCURRENTLY\n");
    expect(statement?.bare).to.equal("SELECT ''");
    expect(leadingWords(splitSql('  create index concurrently i on t (x)')[0]!, 3)).to.deep.equal([
      'CREATE',
      'INDEX',
      'CONCURRENTLY',
    ]);
  });

  it("splits the gateway's schema into its statements, the trigger function whole", () => {
    const statements = splitSql(readFileSync(GATEWAY_SCHEMA_FILE, 'utf8'));
    const functions = statements.filter((s) => s.bare.startsWith('CREATE OR REPLACE FUNCTION'));
    expect(functions).to.have.length(1);
    expect(functions[0]?.text).to.match(/RETURN NEW;\s+END;\s+\$\$ language 'plpgsql'$/);
    expect(statements.filter((s) => /^CREATE TABLE/.test(s.bare))).to.have.length(11);
    expect(statements.filter((s) => /^CREATE TRIGGER/.test(s.bare))).to.have.length(8);
  });
});

/**
 * Migration files as the user writes them, parsed: versioned files and their optional undo files,
 * named the Flyway way (`V1__create_users.sql`, `U1__create_users.sql`, `V1.2__add_index.sql`) or
 * the way sqlx, golang-migrate and Atlas name them (`001_initial_schema.sql`, the gateway's own
 * naming; `2_add_index.up.sql` / `2_add_index.down.sql`). Each file gets a checksum of its
 * content and says whether it runs in a transaction. Pure.
 */
import { createHash } from 'node:crypto';
import { splitSql, leadingWords, type SqlStatement } from './sql-split.js';

export type MigrationType = 'versioned' | 'undo';

export interface MigrationFile {
  /** The file name (the ConfigMap key). */
  readonly name: string;
  /** Where it came from, for messages: `configmap/schema-v1`. */
  readonly source: string;
  readonly type: MigrationType;
  /** Canonical version: numeric parts joined by dots, leading zeros dropped (`001` → `1`). */
  readonly version: string;
  readonly description: string;
  /** Hex SHA-256 of the content with line endings normalised, so a CRLF checkout is not drift. */
  readonly checksum: string;
  readonly transactional: boolean;
  readonly statements: readonly SqlStatement[];
}

export interface MigrationFileProblem {
  readonly file: string;
  readonly source: string;
  readonly message: string;
}

export interface ParsedMigrations {
  /** Versioned files in version order. */
  readonly versioned: readonly MigrationFile[];
  /** Undo files by version. */
  readonly undo: ReadonlyMap<string, MigrationFile>;
  readonly problems: readonly MigrationFileProblem[];
}

export interface SourceFile {
  readonly name: string;
  readonly source: string;
  readonly content: string;
}

const FLYWAY = /^([VU])(\d+(?:[._]\d+)*)__([A-Za-z0-9][A-Za-z0-9_.-]*?)\.sql$/;
const NUMBERED = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*?)(\.up|\.down)?\.sql$/;

/** Marks a file that must run outside a transaction (ours, and Atlas's spelling of the same). */
const NO_TRANSACTION = /^\s*--\s*(gateway-worker:\s*no-transaction|atlas:txmode\s+none)\s*$/im;

export const NAMING_HINT =
  'name versioned files V<version>__<description>.sql (undo: U<version>__<description>.sql) or ' +
  '<number>_<description>.sql (undo: <number>_<description>.down.sql)';

export interface FileName {
  readonly type: MigrationType;
  readonly version: string;
  readonly description: string;
}

/** Canonical version text: `1.02` → `1.2`, `001` → `1`, `1.0` → `1`. */
export function canonicalVersion(text: string): string {
  const parts = text.split(/[._]/).map((p) => BigInt(p).toString());
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

/** Orders versions numerically part by part: 1.10 after 1.9, 2 after 1.99. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(BigInt);
  const pb = b.split('.').map(BigInt);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The version and description a file name carries, or undefined when it follows neither naming. */
export function parseFileName(name: string): FileName | undefined {
  const flyway = FLYWAY.exec(name);
  if (flyway) {
    const [, prefix = 'V', version = '0', description = ''] = flyway;
    return {
      type: prefix === 'U' ? 'undo' : 'versioned',
      version: canonicalVersion(version),
      description: description.replace(/_/g, ' '),
    };
  }
  const numbered = NUMBERED.exec(name);
  if (numbered) {
    const [, version = '0', description = '', direction] = numbered;
    return {
      type: direction === '.down' ? 'undo' : 'versioned',
      version: canonicalVersion(version),
      description: description.replace(/_/g, ' '),
    };
  }
  return undefined;
}

export function checksumOf(content: string): string {
  const normalised = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}

/** Statements PostgreSQL refuses inside a transaction block. */
const OUTSIDE_TRANSACTION: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /^CREATE (UNIQUE )?INDEX CONCURRENTLY\b/i, what: 'CREATE INDEX CONCURRENTLY' },
  { pattern: /^DROP INDEX CONCURRENTLY\b/i, what: 'DROP INDEX CONCURRENTLY' },
  { pattern: /^REINDEX\b.*\bCONCURRENTLY\b/i, what: 'REINDEX CONCURRENTLY' },
  {
    pattern: /^ALTER TABLE\b.*\bDETACH PARTITION\b.*\bCONCURRENTLY\b/i,
    what: 'DETACH PARTITION CONCURRENTLY',
  },
  { pattern: /^VACUUM\b/i, what: 'VACUUM' },
  { pattern: /^(CREATE|DROP) DATABASE\b/i, what: 'CREATE/DROP DATABASE' },
  { pattern: /^ALTER SYSTEM\b/i, what: 'ALTER SYSTEM' },
  { pattern: /^(CREATE|DROP) TABLESPACE\b/i, what: 'CREATE/DROP TABLESPACE' },
];

const TRANSACTION_CONTROL = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT']);

function fileProblems(file: MigrationFile): string[] {
  const problems: string[] = [];
  if (file.statements.length === 0) problems.push('holds no SQL statement');
  for (const statement of file.statements) {
    const first = leadingWords(statement, 1)[0] ?? '';
    if (TRANSACTION_CONTROL.has(first)) {
      problems.push(
        `statement ${statement.index} (line ${statement.line}) is ${first}: each file already runs in a transaction of its own; remove BEGIN/COMMIT from the file`,
      );
    }
    if (!file.transactional) continue;
    const refused = OUTSIDE_TRANSACTION.find((r) => r.pattern.test(statement.bare));
    if (refused) {
      problems.push(
        `statement ${statement.index} (line ${statement.line}) is ${refused.what}, which cannot run inside a transaction: put "-- gateway-worker:no-transaction" as the file's first line (and keep such a file to statements that are safe to run again)`,
      );
    }
  }
  return problems;
}

/**
 * Every `.sql` file of the sources, parsed and checked. Other keys (a README) are ignored; a
 * `.sql` name that follows neither naming, two files of one version, an undo file without its
 * versioned file, and statements that cannot run as the file asks are problems.
 */
export function parseMigrations(files: readonly SourceFile[]): ParsedMigrations {
  const problems: MigrationFileProblem[] = [];
  const versioned = new Map<string, MigrationFile>();
  const undo = new Map<string, MigrationFile>();
  for (const source of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!source.name.endsWith('.sql')) continue;
    const name = parseFileName(source.name);
    const problem = (message: string): void => {
      problems.push({ file: source.name, source: source.source, message });
    };
    if (!name) {
      problem(`the name is not a migration file name: ${NAMING_HINT}`);
      continue;
    }
    const file: MigrationFile = {
      name: source.name,
      source: source.source,
      ...name,
      checksum: checksumOf(source.content),
      transactional: !NO_TRANSACTION.test(leadingComments(source.content)),
      statements: splitSql(source.content),
    };
    const same = (name.type === 'undo' ? undo : versioned).get(name.version);
    if (same) {
      problem(`version ${name.version} is also used by ${same.name} (${same.source})`);
      continue;
    }
    for (const message of fileProblems(file)) problem(message);
    (name.type === 'undo' ? undo : versioned).set(name.version, file);
  }
  for (const [version, file] of undo) {
    if (!versioned.has(version))
      problems.push({
        file: file.name,
        source: file.source,
        message: `undoes version ${version}, but no versioned file has that version`,
      });
  }
  return {
    versioned: [...versioned.values()].sort((a, b) => compareVersions(a.version, b.version)),
    undo,
    problems,
  };
}

/** The comment lines at the top of a file, where directives live. */
function leadingComments(content: string): string {
  const lines: string[] = [];
  for (const line of content.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (!line.trim().startsWith('--')) break;
    lines.push(line);
  }
  return lines.join('\n');
}

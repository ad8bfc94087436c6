/**
 * Splits a migration file into statements, the way psql does, so each runs on its own and a
 * failure names the statement and its line. Semicolons inside quotes, quoted identifiers,
 * dollar-quoted bodies, comments (nested block comments included) and SQL-standard function
 * bodies (`BEGIN ATOMIC ... END`) do not end a statement.
 */

export interface SqlStatement {
  /** The statement as written, without the terminating semicolon, trimmed. */
  readonly text: string;
  /** 1-based line of the statement's first character in the file. */
  readonly line: number;
  /** 1-based position among the file's statements. */
  readonly index: number;
  /** The statement with comments removed and whitespace collapsed: what keyword checks read. */
  readonly bare: string;
}

const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function splitSql(sql: string): SqlStatement[] {
  const text = sql.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const statements: SqlStatement[] = [];
  let bare = '';
  let i = 0;
  let line = 1;
  /** Where the current statement's first character that is not blank or comment sits. */
  let first = -1;
  let firstLine = 1;
  const mark = (at: number): void => {
    if (first >= 0) return;
    first = at;
    firstLine = line;
  };
  let atomicDepth = 0;
  let word = '';
  let previousWord = '';

  const endWord = (): void => {
    if (word === '') return;
    const upper = word.toUpperCase();
    if (atomicDepth === 0 && upper === 'ATOMIC' && previousWord === 'BEGIN') atomicDepth = 1;
    else if (atomicDepth > 0 && (upper === 'BEGIN' || upper === 'CASE')) atomicDepth += 1;
    else if (atomicDepth > 0 && upper === 'END') atomicDepth -= 1;
    previousWord = upper;
    word = '';
  };
  const flush = (end: number): void => {
    const collapsed = bare.replace(/\s+/g, ' ').trim();
    if (collapsed !== '' && first >= 0) {
      const raw = text.slice(first, end).trim();
      statements.push({ text: raw, line: firstLine, index: statements.length + 1, bare: collapsed });
    }
    bare = '';
    previousWord = '';
    first = -1;
  };

  while (i < text.length) {
    const c = text.charAt(i);
    const next = text.charAt(i + 1);
    if (c === '-' && next === '-') {
      endWord();
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      bare += ' ';
      continue;
    }
    if (c === '/' && next === '*') {
      endWord();
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text.startsWith('/*', i)) {
          depth += 1;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          depth -= 1;
          i += 2;
        } else {
          if (text.charAt(i) === '\n') line += 1;
          i += 1;
        }
      }
      bare += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      // E'...' strings take backslash escapes; standard strings and identifiers double the quote.
      const escapes = c === "'" && /[eE]$/.test(word) && word.length === 1;
      endWord();
      mark(i);
      const open = i;
      i += 1;
      while (i < text.length) {
        const d = text.charAt(i);
        if (d === '\n') line += 1;
        if (escapes && d === '\\') {
          i += 2;
          continue;
        }
        if (d === c) {
          if (text.charAt(i + 1) === c) {
            i += 2;
            continue;
          }
          break;
        }
        i += 1;
      }
      i += 1;
      // String contents never count as keywords; identifiers keep their name.
      bare += c === "'" ? "''" : text.slice(open, i);
      continue;
    }
    if (c === '$' && !/[A-Za-z0-9_]/.test(word.slice(-1))) {
      const tag = DOLLAR_TAG.exec(text.slice(i, i + 64));
      if (tag) {
        endWord();
        mark(i);
        const delimiter = tag[0];
        const close = text.indexOf(delimiter, i + delimiter.length);
        const end = close === -1 ? text.length : close + delimiter.length;
        for (let k = i; k < end; k++) if (text.charAt(k) === '\n') line += 1;
        bare += '$$';
        i = end;
        continue;
      }
    }
    if (/[A-Za-z0-9_\u0080-\uffff]/.test(c)) {
      mark(i);
      word += c;
      bare += c;
      i += 1;
      continue;
    }
    endWord();
    if (c === ';' && atomicDepth === 0) {
      flush(i);
      i += 1;
      continue;
    }
    if (c === '\n') line += 1;
    else if (!/\s/.test(c)) mark(i);
    bare += c;
    i += 1;
  }
  endWord();
  flush(text.length);
  return statements;
}

/** The first words of a statement, upper-cased, for keyword checks. */
export function leadingWords(statement: SqlStatement, count: number): string[] {
  return statement.bare
    .split(/[^A-Za-z0-9_]+/)
    .filter((w) => w !== '')
    .slice(0, count)
    .map((w) => w.toUpperCase());
}

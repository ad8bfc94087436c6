/**
 * Splits a multi-document YAML file the way kubectl reads it. kubectl decodes YAML 1.1 (where
 * `yes`, `no`, `on`, `off`, `y` and `n` are booleans), so we parse 1.1 too: `caseSensitive: yes`
 * must mean what the API server will receive.
 */
import { parseAllDocuments } from 'yaml';

export interface YamlDocument {
  /** 1-based position in the file. */
  readonly index: number;
  /** The parsed value; undefined for an empty document or a syntax error. */
  readonly value: unknown;
  /** Syntax errors, with their line and column. */
  readonly errors: readonly string[];
}

export function readDocuments(text: string): YamlDocument[] {
  const parsed = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  return docs.map((doc, i) => {
    // Pretty errors end their first line with "at line L, column C:" and add a code frame; one
    // line is what fits the file:doc:path: message format.
    const lines = doc.errors.map((error) => (error.message.split('\n')[0] ?? '').replace(/:$/, ''));
    const errors = [...new Set(lines)];
    if (errors.length) return { index: i + 1, value: undefined, errors };
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    return { index: i + 1, value: value ?? undefined, errors: [] };
  });
}

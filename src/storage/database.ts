/**
 * The one interface both stores implement — PostgreSQL through node-postgres and the embedded
 * PGlite — so the schema, the migrations and every query are written once, in one SQL dialect.
 */

/** What a query hands back; rows are plain objects keyed by column name. */
export interface QueryResult<R> {
  readonly rows: R[];
  /** Rows inserted, updated, deleted or returned. */
  readonly rowCount: number;
}

/** Parameters are text, numbers, booleans, Dates or null; pass JSON as text cast with `::jsonb`. */
export type SqlParam = string | number | boolean | Date | null;

export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlParam[],
  ): Promise<QueryResult<R>>;
}

export type StoreKind = 'postgres' | 'embedded';

export interface Database extends Queryable {
  readonly kind: StoreKind;
  /** Where the data lives, safe to print: the URL without its password, or the directory. */
  readonly description: string;
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one connection, outside any transaction, that nobody else uses meanwhile
   * (session-level state such as advisory locks stays with it).
   */
  session<T>(work: (session: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A quoted SQL identifier; the names come from configuration that already allows only [a-z0-9_]. */
export function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain SQL name: ${name}`);
  return `"${name}"`;
}

/** A real database whose writes to telemetry_batches wait until a gate opens: a worker that falls behind. */
import type { Database, Queryable, QueryResult, SqlParam } from '../../src/storage/database.js';

export class GatedDatabase implements Database {
  readonly kind;
  readonly description = 'gated';
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.opened = resolve));

  constructor(private readonly inner: Database) {
    this.kind = inner.kind;
  }

  open(): void {
    this.opened();
  }

  private wrap(target: Queryable): Queryable {
    return {
      query: async <R extends object>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<R>> => {
        if (sql.includes('telemetry_batches')) await this.gate;
        return target.query<R>(sql, params);
      },
    };
  }

  query<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<R>> {
    return this.wrap(this.inner).query<R>(sql, params);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => work(this.wrap(tx)));
  }

  session<T>(work: (session: Queryable) => Promise<T>): Promise<T> {
    return this.inner.session((session) => work(this.wrap(session)));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

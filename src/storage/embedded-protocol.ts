/** Messages between the embedded store's main-thread side and the worker thread hosting PGlite. */
import type { SqlParam } from './database.js';

export interface EmbeddedWorkerData {
  readonly pgdataDir: string;
}

export type EmbeddedRequest =
  | { readonly id: number; readonly op: 'query'; readonly sql: string; readonly params: readonly SqlParam[] }
  | { readonly id: number; readonly op: 'close' };

export interface EmbeddedError {
  readonly message: string;
  /** SQLSTATE, when PostgreSQL raised the error. */
  readonly code?: string;
}

export type EmbeddedReply =
  | { readonly id: number; readonly ok: true; readonly rows: object[]; readonly rowCount: number }
  | { readonly id: number; readonly ok: false; readonly error: EmbeddedError };

export type EmbeddedStartup =
  { readonly ready: true } | { readonly ready: false; readonly error: EmbeddedError };

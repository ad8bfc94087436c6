/**
 * The worker thread that hosts PGlite. PostgreSQL compiled to WebAssembly runs synchronously
 * while it works (creating a data directory takes seconds), so it lives here, off the operator's
 * event loop; the main thread only exchanges messages with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type {
  EmbeddedError,
  EmbeddedReply,
  EmbeddedRequest,
  EmbeddedStartup,
  EmbeddedWorkerData,
} from './embedded-protocol.js';

const port = parentPort;
if (!port) throw new Error('embedded-worker.ts runs only as a worker thread');
const { pgdataDir } = workerData as EmbeddedWorkerData;

function toError(err: unknown): EmbeddedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}

/**
 * PostgreSQL's defaults size it for a server of its own: 128 MB of shared buffers alone. The
 * worker's tables are small, and these settings take about 130 MB off the process.
 */
const SMALL_FOOTPRINT = ['shared_buffers = 16MB', 'work_mem = 2MB', 'maintenance_work_mem = 16MB'];

let db: PGlite;
try {
  db = new PGlite(pgdataDir, { postgresqlconf: SMALL_FOOTPRINT });
  await db.waitReady;
  port.postMessage({ ready: true } satisfies EmbeddedStartup);
} catch (err) {
  port.postMessage({ ready: false, error: toError(err) } satisfies EmbeddedStartup);
  port.close();
  throw err;
}

// One message at a time, in arrival order: PGlite is a single connection, and the main thread
// already serializes transactions, so ordering here is all that is needed.
let chain = Promise.resolve();
port.on('message', (request: EmbeddedRequest) => {
  chain = chain.then(() => handle(request));
});

async function handle(request: EmbeddedRequest): Promise<void> {
  let reply: EmbeddedReply;
  if (request.op === 'close') {
    try {
      await db.close();
      reply = { id: request.id, ok: true, rows: [], rowCount: 0 };
    } catch (err) {
      reply = { id: request.id, ok: false, error: toError(err) };
    }
    port?.postMessage(reply);
    port?.close();
    return;
  }
  try {
    const result = await db.query<object>(request.sql, [...request.params]);
    reply = {
      id: request.id,
      ok: true,
      rows: result.rows,
      rowCount: Math.max(result.affectedRows ?? 0, result.rows.length),
    };
  } catch (err) {
    reply = { id: request.id, ok: false, error: toError(err) };
  }
  port?.postMessage(reply);
}

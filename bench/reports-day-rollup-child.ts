/**
 * The reports benchmark's daily rollups, in a process of their own (see reports.bench.ts): runs
 * the downsampling over the filled hours with the job's own code, so the memory it takes stays out
 * of the process whose RSS the benchmark measures. Arguments: database URL, schema, now (ms).
 * Prints the days rolled up.
 */
import { silentLogger } from '../src/runtime/logger.js';
import { storeSettings } from '../src/storage/connection-settings.js';
import { PostgresDatabase } from '../src/storage/postgres-database.js';
import { downsample } from '../src/telemetry/downsample.js';

const [url, schema, now] = process.argv.slice(2);
if (url === undefined || schema === undefined || now === undefined)
  throw new Error('usage: reports-day-rollup-child.ts DATABASE_URL SCHEMA NOW_MS');
const settings = storeSettings(
  {
    databaseUrl: url,
    databasePoolSize: 2,
    databaseStatementTimeoutMs: 30_000,
    databaseSchema: schema,
    embeddedDataDir: '',
  },
  () => '',
);
if (settings.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
const db = new PostgresDatabase(settings, silentLogger);
try {
  const result = await downsample(db, schema, Number(now), { topCapacity: 100 });
  process.stdout.write(`${result.days}\n`);
} finally {
  await db.close();
}

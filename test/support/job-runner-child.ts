/**
 * A job runner in a child process, for the SIGKILL test: it claims the job, writes MARKER_FILE
 * once the handler runs, then hangs until it is killed. Its lease is short, so the parent's
 * runner can take the job over soon after.
 */
import { writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { silentLogger } from '../../src/runtime/logger.js';
import { JobKinds } from '../../src/storage/jobs/job-kind.js';
import { JobRunner } from '../../src/storage/jobs/job-runner.js';
import { postgresAt, storeOf, testKind } from './job-fixtures.js';

const { DATABASE_URL: url, SCHEMA: schema, MARKER_FILE: marker, LEASE_MS: lease } = process.env;
if (!url || !schema || !marker) throw new Error('DATABASE_URL, SCHEMA and MARKER_FILE are required');

const test = storeOf(postgresAt(url, schema, 2), schema);
const kinds = new JobKinds().register(
  testKind('test.sigkill', ({ id }) => {
    writeFileSync(marker, id);
    return new Promise(() => undefined);
  }),
);
const runner = new JobRunner({
  kinds,
  store: test.store,
  schema,
  workers: 1,
  logger: silentLogger,
  registry: new Registry(),
  pollMs: 50,
  leaseMs: Number(lease ?? 1500),
  runnerId: `child-${process.pid}`,
});
await runner.start();

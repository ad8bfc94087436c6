/**
 * A telemetry processor in a child process, for the crash test: it processes batches, and in
 * the transaction of the batch group numbered STOP_AT (1 = the first), after writing everything
 * and before committing, writes MARKER_FILE and hangs until it is killed.
 */
import { writeFileSync } from 'node:fs';
import { RouteMatcher } from '../../src/domain/telemetry/route-matcher.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { TelemetryProcessor } from '../../src/telemetry/processor.js';
import { postgresAt, storeOf } from './job-fixtures.js';

const { DATABASE_URL: url, SCHEMA: schema, MARKER_FILE: marker, STOP_AT: stopAt } = process.env;
if (!url || !schema || !marker) throw new Error('DATABASE_URL, SCHEMA and MARKER_FILE are required');

const test = storeOf(postgresAt(url, schema, 2), schema);
let groups = 0;
const processor = new TelemetryProcessor({
  store: test.store,
  schema,
  logger: silentLogger,
  routes: () => new RouteMatcher([]),
  batchLimit: 3,
  beforeCommit: () => {
    groups += 1;
    if (groups < Number(stopAt ?? 1)) return Promise.resolve();
    writeFileSync(marker, String(groups));
    return new Promise(() => undefined);
  },
});
for (;;) {
  const done = await processor.processOnce(test.db);
  if (done.batches === 0) break;
}

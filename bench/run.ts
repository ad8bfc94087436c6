/**
 * `npm run bench [name ...]`: prints each benchmark's table in Markdown, ready for
 * docs/benchmarks.md; starts a local control plane (or uses USE_EXISTING_CLUSTER) only when a
 * selected benchmark needs one.
 */
import { startCluster } from '../src/envtest/cluster.js';
import { FIXTURE_CRDS, PRODUCT_CRDS } from '../test/support/shared-cluster.js';
import { stopSharedPostgres } from '../test/support/shared-postgres.js';
import { certificatesBenchmark } from './certificates.bench.js';
import { dbopsBenchmark } from './dbops.bench.js';
import { footprintBenchmark } from './footprint.bench.js';
import { jobsBenchmark } from './jobs.bench.js';
import { notifyBenchmark } from './notify.bench.js';
import { objectWriteBenchmark } from './object-write.bench.js';
import { pushBenchmark } from './push.bench.js';
import { reportsBenchmark } from './reports.bench.js';
import { routesBenchmark } from './routes.bench.js';
import { routesPushBenchmark } from './routes-push.bench.js';
import { runtimeBenchmark } from './runtime.bench.js';
import { telemetryIngestBenchmark } from './telemetry-ingest.bench.js';
import { telemetryBenchmark } from './telemetry.bench.js';
import { threatCorrelationBenchmark } from './threats-correlation.bench.js';
import { threatsBenchmark } from './threats.bench.js';
import { wafBenchmark } from './waf.bench.js';

/** These need no API server; the control plane is started only for the others. */
const standalone = {
  push: pushBenchmark,
  routes: routesBenchmark,
  waf: wafBenchmark,
  jobs: jobsBenchmark,
  telemetry: telemetryBenchmark,
  'telemetry-ingest': telemetryIngestBenchmark,
  dbops: dbopsBenchmark,
  notify: notifyBenchmark,
  reports: reportsBenchmark,
  // Feeds (threats.bench.ts) and correlation (threats-correlation.bench.ts) in one section.
  threats: async () => [...(await threatsBenchmark()), '', ...(await threatCorrelationBenchmark())],
} as const;
/** These run the whole operator in this process against the control plane, with the product's CRDs. */
const benchmarks = {
  runtime: runtimeBenchmark,
  certificates: certificatesBenchmark,
  'routes-push': routesPushBenchmark,
  'object-write': objectWriteBenchmark,
  footprint: footprintBenchmark,
} as const;
const wanted = process.argv.slice(2);
const selected = (name: string): boolean => wanted.length === 0 || wanted.includes(name);

try {
  for (const [name, run] of Object.entries(standalone)) {
    if (!selected(name)) continue;
    console.log(`\n## ${name}\n`);
    console.log((await run()).join('\n'));
  }
  if (Object.keys(benchmarks).some(selected)) {
    const cluster = await startCluster({ crdPaths: [FIXTURE_CRDS, PRODUCT_CRDS] });
    try {
      for (const [name, run] of Object.entries(benchmarks)) {
        if (!selected(name)) continue;
        console.log(`\n## ${name}\n`);
        console.log((await run(cluster)).join('\n'));
      }
    } finally {
      await cluster.stop();
    }
  }
} finally {
  // Started on first use by the benchmarks that need a database (threats, certificates, ...).
  await stopSharedPostgres();
}

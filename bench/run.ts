/**
 * `npm run bench`: starts a local control plane (or uses USE_EXISTING_CLUSTER) and prints each
 * benchmark's table in Markdown, ready for docs/benchmarks.md.
 */
import { startCluster } from '../src/envtest/cluster.js';
import { FIXTURE_CRDS } from '../test/support/shared-cluster.js';
import { pushBenchmark } from './push.bench.js';
import { runtimeBenchmark } from './runtime.bench.js';

const benchmarks = { runtime: runtimeBenchmark, push: () => pushBenchmark() } as const;
const wanted = process.argv.slice(2);
const cluster = await startCluster({ crdPaths: [FIXTURE_CRDS] });
try {
  for (const [name, run] of Object.entries(benchmarks)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`\n## ${name}\n`);
    console.log((await run(cluster)).join('\n'));
  }
} finally {
  await cluster.stop();
}

/**
 * Preloaded (node --import) into the operator and the agent the footprint benchmark starts, so it
 * can read their V8 heap, which /proc does not show: every 100 ms it notes the heap's peak; on
 * SIGWINCH it writes the current process.memoryUsage() and the peaks since the previous report to
 * FOOTPRINT_PROBE_FILE (with a sequence number the benchmark waits for), then starts new peaks; on
 * SIGUSR2 it writes a heap snapshot into FOOTPRINT_SNAPSHOT_DIR, when that is set. Plain
 * JavaScript so that the compiled CLI runs without tsx.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { writeHeapSnapshot } from 'node:v8';

const file = process.env.FOOTPRINT_PROBE_FILE;
const snapshots = process.env.FOOTPRINT_SNAPSHOT_DIR;
if (file) {
  const zero = () => ({ heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 });
  let peak = zero();
  let seq = 0;
  const sample = () => {
    const now = process.memoryUsage();
    for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], now[key]);
    return now;
  };
  setInterval(sample, 100).unref();
  process.on('SIGWINCH', () => {
    const now = sample();
    seq += 1;
    writeFileSync(file, JSON.stringify({ seq, now, peak }));
    peak = zero();
  });
  if (snapshots)
    process.on('SIGUSR2', () => {
      seq += 1;
      const path = writeHeapSnapshot(join(snapshots, `${process.pid}-${seq}.heapsnapshot`));
      writeFileSync(file, JSON.stringify({ seq, snapshot: path }));
    });
}

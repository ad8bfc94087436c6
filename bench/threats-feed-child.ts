/**
 * One run of the feed benchmark in a fresh process (so its peak RSS is the pipeline's alone):
 * a feed body read from a file (threats.bench.ts writes it), then parse → judge (strip reserved space) → deny
 * list (allowlists out, shards) → the agent's ip-deny writer (decode, unite, render and write
 * waf-ip-lists.yaml). Sends its timings to the parent.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChallengeTable } from '../src/agent/acme-challenges.js';
import { ipDenyWriter } from '../src/agent/config-writer-ip-deny.js';
import { IpListsFile } from '../src/agent/ip-lists-file.js';
import type { Publisher } from '../src/controllers/publisher.js';
import { parseFeed } from '../src/domain/threats/feed-parse.js';
import { judgeDownload } from '../src/domain/threats/feed-rules.js';
import { rangesOf } from '../src/domain/threats/reserved.js';
import type { ConfigResource } from '../src/domain/snapshot/snapshot.js';
import { silentLogger } from '../src/runtime/logger.js';
import type { PushStatus } from '../src/push/push-status.js';
import { DenyLists } from '../src/threats/deny-lists.js';

export interface FeedRun {
  readonly entries: number;
  readonly bodyMiB: number;
  readonly ranges: number;
  readonly shards: number;
  readonly parseMs: number;
  readonly judgeMs: number;
  readonly publishMs: number;
  readonly agentMs: number;
  readonly totalMs: number;
  readonly rssBeforeMiB: number;
  readonly peakRssMiB: number;
}

async function run(path: string): Promise<FeedRun> {
  // As the download hands it over: the whole body as one string.
  const body = readFileSync(path, 'utf8');
  global.gc?.();
  const rssBeforeMiB = process.memoryUsage().rss / 1048576;
  const t0 = performance.now();
  const parsed = parseFeed(body, { type: 'plain' });
  const t1 = performance.now();
  const verdict = judgeDownload({ kind: 'body', parsed }, undefined, {
    maxEntries: 5_000_000,
    maxShrinkPercent: 50,
  });
  if (verdict.kind !== 'accepted') throw new Error(`the feed was refused: ${JSON.stringify(verdict)}`);
  const t2 = performance.now();
  let pushed: ConfigResource[] = [];
  const publisher: Publisher = {
    publish: (_owner, _selector, resources) => {
      pushed = [...resources];
    },
    withdraw: () => undefined,
    status: () => ({}) as PushStatus,
  };
  const allowlist = rangesOf(['8.8.8.0/24', '1.1.1.0/24']);
  const denyLists = new DenyLists({
    publisher: () => publisher,
    allowlist: () => allowlist,
    logger: silentLogger,
  });
  const published = denyLists.set({
    id: 'feed:bench/drop',
    owner: 'ThreatFeed:bench/drop',
    selector: undefined,
    ranges: verdict.list.ranges,
    version: verdict.list.version,
  });
  const t3 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'threats-bench-'));
  try {
    const writer = ipDenyWriter({
      dir,
      challenges: new ChallengeTable(),
      ipLists: new IpListsFile(dir, silentLogger),
    });
    const checked = writer.check(
      published.version,
      pushed.map((r) => ({ name: r.name, version: r.version, payload: Buffer.from(r.payload) })),
    );
    if ('errors' in checked)
      throw new Error(`the agent refused shards: ${JSON.stringify(checked.errors[0])}`);
    await checked.write();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const t4 = performance.now();
  return {
    entries: parsed.entries,
    bodyMiB: Buffer.byteLength(body) / 1048576,
    ranges: published.ranges,
    shards: published.shards,
    parseMs: t1 - t0,
    judgeMs: t2 - t1,
    publishMs: t3 - t2,
    agentMs: t4 - t3,
    totalMs: t4 - t0,
    rssBeforeMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

const result = await run(process.argv[2] ?? '');
if (process.send) process.send(result);
else console.log(result);

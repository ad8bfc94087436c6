/**
 * Certificates at scale (issue 6): 100 Certificates (HTTP-01, one or two names each) created at
 * once against a real ACME server, Pebble, with the whole operator in this process (QUEUE_WORKERS
 * default) and 3 simulated gateways answering the challenges on Pebble's validation port. An
 * HTTPS front between the operator and Pebble counts every ACME request by resource. Reports the
 * time from each Certificate's creation to Ready=True and to its certificate being on every
 * gateway, the total for all of them, ACME requests per certificate, and the RSS and CPU time of
 * this process, which hosts the operator, the agents and the front (Pebble runs apart).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CertificateResource, statusOf, type Certificate } from '../src/api/v1alpha1/index.js';
import type { Cluster } from '../src/envtest/cluster.js';
import { Informer } from '../src/runtime/informer/informer.js';
import { silentLogger } from '../src/runtime/logger.js';
import { findCondition } from '../src/runtime/status/conditions.js';
import { AcmeFront } from '../test/support/acme-front.js';
import { Pebble } from '../test/support/pebble.js';
import { loadAverage, startInProcessOperator, type AgentsWhere } from './operator-in-process.js';
import { PushEvents } from './push-latency.js';
import { fmt, median, percentile, rssMiB } from './stats.js';

/** CERTIFICATES overrides the count (default 100). */
const CERTIFICATES = Number(process.env.CERTIFICATES ?? 100);
const GATEWAYS = 3;
/** How long a run waits for every certificate (CERTIFICATES_DEADLINE_MIN, default 10). */
const DEADLINE_MS = Number(process.env.CERTIFICATES_DEADLINE_MIN ?? 10) * 60_000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

export function certificate(namespace: string, i: number, pebble: Pebble, directoryUrl: string): Certificate {
  const host = `site-${i}.example.test`;
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'Certificate',
    metadata: { namespace, name: `site-${i}` },
    spec: {
      secretName: `site-${i}-tls`,
      // Every other one has a second name: 150 names, 150 authorizations in all.
      dnsNames: i % 2 === 0 ? [host] : [host, `www.${host}`],
      acme: {
        server: directoryUrl,
        email: 'admin@example.test',
        caBundle: Buffer.from(pebble.caBundle).toString('base64'),
        solver: { http01: {} },
      },
    },
  } as unknown as Certificate;
}

/** One run: a fresh Pebble and front, the operator, and the agents in `where`. */
async function run(cluster: Cluster, where: AgentsWhere): Promise<Map<string, string>> {
  // Pebble rejects 5% of nonces at random by default to exercise clients' retries; a real CA
  // does not, and the retries would inflate the request counts.
  const pebble = await Pebble.start({
    defaultIPv4: '127.0.0.2',
    validitySeconds: 24 * 3600,
    env: { PEBBLE_WFE_NONCEREJECT: '0' },
  });
  const front = await AcmeFront.start({
    port: pebble.listenPort,
    caBundle: pebble.caBundle,
    tls: pebble.tls,
  });
  const h = await startInProcessOperator(cluster, 'bench-certs', {
    gateways: GATEWAYS,
    httpPort: pebble.httpPort,
    agents: where,
  });
  try {
    const { client, namespace } = h;
    const ready = new Map<string, number>();
    const everywhere = new Map<string, number>();
    const events = new PushEvents();
    const note = (cert: Certificate): void => {
      const name = cert.metadata.name ?? '';
      const status = statusOf(cert);
      const at = performance.now();
      if (!ready.has(name) && findCondition(status?.conditions, 'Ready')?.status === 'True')
        ready.set(name, at);
      if (ready.has(name) && !everywhere.has(name) && status?.gateways?.summary === `${GATEWAYS}/${GATEWAYS}`)
        everywhere.set(name, at);
      events.onStatusChange();
    };
    const informer = new Informer<Certificate>({
      client,
      type: CertificateResource,
      namespaces: [namespace],
      logger: silentLogger,
    });
    informer.addHandler({ onAdd: note, onUpdate: (_old, cert) => note(cert) });
    informer.start();
    await informer.waitForSync();

    const created = new Map<string, number>();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    gc();
    const rssBefore = rssMiB();
    let rssPeak = rssBefore;
    let ticks = 0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB());
      // BENCH_LOG_LEVEL set: progress every 10 s on stderr.
      if (process.env.BENCH_LOG_LEVEL && ++ticks % 40 === 0)
        console.error(
          `certificates (${where}): ${created.size} created, ${ready.size} Ready, ${everywhere.size} on every gateway, ${front.requests.length} ACME requests, event-loop delay max ${fmt(lag.max / 1e6)} ms`,
        );
    }, 250);
    const loadBefore = loadAverage();
    const reconcilesBefore = await h.metric('controller_runtime_reconcile_total', {
      controller: 'certificate',
    });
    const requestsBefore = await h.metric('gateway_worker_kube_api_requests_total');
    const agentsBefore = await h.agents.usage();
    lag.enable();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CERTIFICATES }, async (_, i) => {
        await client.create(CertificateResource, certificate(namespace, i, pebble, front.directoryUrl));
        created.set(`site-${i}`, performance.now());
      }),
    );
    const deadline = start + DEADLINE_MS;
    // Certificates whose issuance failed and that wait past the deadline for the next attempt.
    const parked = () =>
      informer.store.list().filter((cert) => {
        const next = Date.parse(statusOf(cert)?.nextRetryTime ?? '');
        return !ready.has(cert.metadata.name ?? '') && next > Date.now() + (deadline - performance.now());
      }).length;
    const within = (what: string, done: Map<string, number>) =>
      events
        .until(what, () => done.size + parked() >= CERTIFICATES, Math.max(0, deadline - performance.now()))
        .then(
          () => (done.size === CERTIFICATES ? performance.now() - start : undefined),
          () => undefined,
        );
    const allReady = await within('every Certificate Ready', ready);
    const allEverywhere = await within('every certificate on every gateway', everywhere);
    const cpu = process.cpuUsage(cpuBefore);
    lag.disable();
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssMiB());
    const agentsAfter = await h.agents.usage();
    const reconciles =
      (await h.metric('controller_runtime_reconcile_total', { controller: 'certificate' })) -
      reconcilesBefore;
    const requests = (await h.metric('gateway_worker_kube_api_requests_total')) - requestsBefore;
    const failures = new Map<string, number>();
    let failedAttempts = 0;
    for (const cert of informer.store.list()) {
      const status = statusOf(cert);
      failedAttempts += status?.failedIssuanceAttempts ?? 0;
      const message = status?.lastFailureMessage;
      if (message === undefined || ready.has(cert.metadata.name ?? '')) continue;
      const reason = /deadline exceeded|Timeout/i.test(message)
        ? 'HTTP-01 validation timed out'
        : message.replace(/site-\d+/g, 'site-N').slice(0, 100);
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    }
    await informer.stop();
    gc();
    const rssAfter = rssMiB();

    const since = (at: Map<string, number>) => [...at].map(([name, t]) => t - (created.get(name) ?? start));
    const toReady = since(ready);
    const toEverywhere = since(everywhere);
    const sec = (n: number | undefined): string =>
      n === undefined ? 'never (see Ready)' : `${fmt(n / 1000, 1)} s`;
    const p50p99 = (values: number[]) =>
      values.length === 0 ? '—' : `${sec(median(values))} / ${sec(percentile(values, 99))}`;
    const perCert = (n: number): string => fmt(n / CERTIFICATES, 2);
    const kinds = [...new Set(front.requests.map((r) => r.resource))];
    const errors = new Map<string, number>();
    for (const r of front.requests) {
      if (r.status < 400) continue;
      const what = `${r.status} ${r.problem?.replace('urn:ietf:params:acme:error:', '') ?? ''} (${r.resource})`;
      errors.set(what, (errors.get(what) ?? 0) + 1);
    }
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const agentsCpuMs =
      agentsBefore && agentsAfter ? (agentsAfter.cpuMicros - agentsBefore.cpuMicros) / 1000 : undefined;
    return new Map([
      [
        'Certificates Ready (of 100)',
        `${ready.size}${failures.size > 0 ? ` (the rest: ${[...failures].map(([reason, n]) => `${n} × ${reason}`).join('; ')}, next attempt in 1 h)` : ''}`,
      ],
      ['Created → Ready=True, median / p99', p50p99(toReady)],
      ['First create → all Ready', sec(allReady)],
      [
        `Created → certificate on every gateway (${GATEWAYS}/${GATEWAYS}), median / p99`,
        p50p99(toEverywhere),
      ],
      ['First create → all on every gateway', sec(allEverywhere)],
      ['Failed issuance attempts (all certificates)', String(failedAttempts)],
      ['ACME requests per certificate', perCert(front.requests.length)],
      ['… by resource', kinds.map((k) => `${k} ${perCert(front.count(k))}`).join(', ')],
      [
        'ACME error answers, all certificates',
        errors.size === 0 ? '0' : [...errors].map(([what, n]) => `${n} × ${what}`).join(', '),
      ],
      ['Certificate reconciles per certificate', fmt(reconciles / CERTIFICATES, 1)],
      ['Operator API requests per certificate', fmt(requests / CERTIFICATES, 1)],
      [
        'RSS of the operator process: before / peak / after GC',
        `${fmt(rssBefore)} / ${fmt(rssPeak)} / ${fmt(rssAfter)} MiB${where === 'child' ? '' : ' (with the agents)'}`,
      ],
      ["RSS of the agents' process", agentsAfter ? `${fmt(agentsAfter.rssBytes / 1024 / 1024)} MiB` : '—'],
      [
        'Event-loop delay of the operator process: p99 / max',
        `${fmt(lag.percentile(99) / 1e6)} / ${fmt(lag.max / 1e6)} ms`,
      ],
      [
        'CPU time: operator process (+ agents process), per certificate',
        `${fmt(cpuMs / CERTIFICATES)} ms${agentsCpuMs === undefined ? '' : ` + ${fmt(agentsCpuMs / CERTIFICATES)} ms`}`,
      ],
      ['Load average (1/5/15 min) before / after', `${loadBefore} / ${loadAverage()}`],
    ]);
  } finally {
    await h.stop();
    await front.stop();
    await pebble.stop();
  }
}

/**
 * CERTIFICATES_WHERE picks the agents' placement: in-process, child or both (the default; the child
 * first, as RSS only grows within a process).
 */
function placements(): AgentsWhere[] {
  const env = process.env.CERTIFICATES_WHERE ?? 'child,in-process';
  return env.split(',').map((w) => {
    if (w !== 'in-process' && w !== 'child')
      throw new Error(`CERTIFICATES_WHERE=${env}: in-process, child or both`);
    return w;
  });
}

export async function certificatesBenchmark(cluster: Cluster): Promise<string[]> {
  const wheres = placements();
  const results: Map<string, string>[] = [];
  for (const where of wheres) results.push(await run(cluster, where));
  const title = (w: AgentsWhere) =>
    w === 'child' ? 'agents in a child process' : "agents in the operator's process";
  return [
    `${CERTIFICATES} Certificates (half with one name, half with two), created at once against Pebble (random nonce rejection off); HTTP-01 answered by ${GATEWAYS} simulated gateways; operator with QUEUE_WORKERS default; all ACME requests counted by a front between the operator and Pebble. Waited up to ${fmt(DEADLINE_MS / 60_000)} min.`,
    '',
    `| Measure | ${wheres.map(title).join(' | ')} |`,
    `|---|${wheres.map(() => '---|').join('')}`,
    ...[...(results[0]?.keys() ?? [])].map(
      (key) =>
        `| ${key.replace('(of 100)', `(of ${CERTIFICATES})`)} | ${results.map((r) => r.get(key) ?? '').join(' | ')} |`,
    ),
  ];
}

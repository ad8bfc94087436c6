/**
 * The demo's database step (issue 17): a `gateway` database on the demo's PostgreSQL stands in for
 * the gateway's own; the gateway's migrations folder goes into a ConfigMap and a DatabaseMigration
 * applies it; request_logs and cache_entries get rows (half of the logs older than 30 days); then
 * one retention run and one verified backup, both requested with the run-now annotation, into the
 * operator's object store (a directory here). All with the real kubectl, as a user would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { stringify } from 'yaml';
import { GATEWAY_SCHEMA_FILE } from '../test/fixtures/gateway-reference/paths.js';
import { adminQuery } from '../test/support/gateway-database.js';
import { fillCacheEntries, fillRequestLogs } from '../test/support/gateway-data.js';

const API = 'gateway.awesomeapi.com.br/v1alpha1';
const ANNOTATION = 'gateway.awesomeapi.com.br/run-now';

/** The operator's environment for the step: an object store for archives and backups. */
export function databaseDemoEnv(): Record<string, string> {
  if (process.env.OBJECT_STORE_URL) return { OBJECT_STORE_URL: process.env.OBJECT_STORE_URL };
  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-demo-store-'));
  return { OBJECT_STORE_URL: pathToFileURL(dir).toString() };
}

interface Step {
  readonly kubectl: string;
  readonly kubeconfig: string;
  /** A superuser URL to the demo's PostgreSQL (trust authentication on loopback). */
  readonly serverUrl: string;
}

interface Watched {
  readonly metadata: { readonly annotations?: Record<string, string> };
  readonly status?: {
    readonly lastRequest?: string;
    readonly lastRun?: { readonly state?: string; readonly message?: string };
    readonly conditions?: readonly { type: string; status: string; reason: string; message: string }[];
  };
}

function apply(step: Step, documents: readonly object[]): void {
  execFileSync(step.kubectl, ['--kubeconfig', step.kubeconfig, 'apply', '-f', '-'], {
    input: documents.map((d) => stringify(d)).join('---\n'),
    stdio: ['pipe', 'inherit', 'inherit'],
  });
}

function get(step: Step, kind: string, name: string): Watched {
  const text = execFileSync(
    step.kubectl,
    ['--kubeconfig', step.kubeconfig, 'get', kind, name, '-o', 'json'],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(text) as Watched;
}

/** Waits until `kind/name`'s last run (of `request`, when given) finished; returns its Ready message. */
async function finished(step: Step, kind: string, name: string, request?: string): Promise<string> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const obj = get(step, kind, name);
    const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
    const state = obj.status?.lastRun?.state;
    const ours = request === undefined || obj.status?.lastRequest === request;
    if (ours && (state === 'Succeeded' || state === 'Failed'))
      return `${state}: ${ready?.message ?? obj.status?.lastRun?.message ?? ''}`;
    if (Date.now() > deadline)
      throw new Error(`${kind} ${name} did not finish a run in 5 minutes (${ready?.reason ?? 'no status'})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function runDatabaseDemo(step: Step): Promise<void> {
  const server = new URL(step.serverUrl);
  await adminQuery(step.serverUrl, 'DROP DATABASE IF EXISTS gateway WITH (FORCE)');
  await adminQuery(step.serverUrl, 'CREATE DATABASE gateway');
  const meta = (name: string, annotations?: Record<string, string>) => ({
    name,
    namespace: 'default',
    ...(annotations ? { annotations } : {}),
  });
  apply(step, [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('gateway-db'),
      // The demo's server trusts loopback; a real one checks this.
      stringData: { password: 'demo' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('gateway-migrations'),
      data: { '001_initial_schema.sql': readFileSync(GATEWAY_SCHEMA_FILE, 'utf8') },
    },
    {
      apiVersion: API,
      kind: 'DatabaseConnection',
      metadata: meta('gateway-db'),
      spec: {
        host: server.hostname,
        port: Number(server.port || 5432),
        database: 'gateway',
        user: decodeURIComponent(server.username) || 'postgres',
        passwordSecretRef: { name: 'gateway-db', key: 'password' },
        sslMode: 'disable',
      },
    },
    {
      apiVersion: API,
      kind: 'DatabaseMigration',
      metadata: meta('gateway-schema'),
      spec: { connectionRef: { name: 'gateway-db' }, configMaps: [{ name: 'gateway-migrations' }] },
    },
  ]);
  console.log(
    `demo: DatabaseMigration gateway-schema: ${await finished(step, 'databasemigration', 'gateway-schema')}`,
  );

  const gatewayUrl = new URL(step.serverUrl);
  gatewayUrl.pathname = '/gateway';
  const query = async (sql: string): Promise<pg.QueryResultRow[]> =>
    (await adminQuery(gatewayUrl.toString(), sql)).rows as pg.QueryResultRow[];
  const filled = await fillRequestLogs(query, 20_000, 0.5);
  await fillCacheEntries(query, 500, 500);
  console.log(
    `demo: the gateway database has ${filled.old + filled.recent} request_logs rows (${filled.old} older than 30 days) and 1,000 cache entries (500 expired)`,
  );

  const request = new Date().toISOString();
  apply(step, [
    {
      apiVersion: API,
      kind: 'DatabaseRetention',
      metadata: meta('gateway-retention', { [ANNOTATION]: request }),
      spec: {
        connectionRef: { name: 'gateway-db' },
        schedule: '15 2 * * *',
        tables: [
          { table: 'request_logs', timeColumn: 'timestamp', keep: '720h', archive: 'NDJSON' },
          { table: 'cache_entries', timeColumn: 'expires_at', keep: '0s', archive: 'None' },
        ],
      },
    },
    {
      apiVersion: API,
      kind: 'DatabaseBackup',
      metadata: meta('gateway-nightly', { [ANNOTATION]: request }),
      spec: {
        connectionRef: { name: 'gateway-db' },
        schedule: '0 3 * * *',
        keep: { count: 7 },
        verify: true,
      },
    },
  ]);
  console.log(
    `demo: DatabaseRetention gateway-retention: ${await finished(step, 'databaseretention', 'gateway-retention', request)}`,
  );
  console.log(
    `demo: DatabaseBackup gateway-nightly: ${await finished(step, 'databasebackup', 'gateway-nightly', request)}`,
  );
  execFileSync(
    step.kubectl,
    [
      '--kubeconfig',
      step.kubeconfig,
      'get',
      'databaseconnections,databasemigrations,databaseretentions,databasebackups',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { KubeClient } from '../runtime/kube/client.js';
import { CoreTypes } from '../runtime/kube/resource.js';
import { sharedCluster, uniqueName } from '../../test/support/shared-cluster.js';
import { testDatabaseConfig } from '../../test/support/shared-postgres.js';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { loadConfig, type Config } from '../config/index.js';
import type { LogFields, Logger } from '../runtime/logger.js';
import { buildOperator, runOperator } from './operator.js';

interface Entry {
  level: string;
  msg: string;
  fields: LogFields;
}

function recordingLogger(entries: Entry[], bound: LogFields = {}): Logger {
  const write =
    (level: string) =>
    (msg: string, fields: LogFields = {}) => {
      entries.push({ level, msg, fields: { ...bound, ...fields } });
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: (fields) => recordingLogger(entries, { ...bound, ...fields }),
  };
}

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'tester', token: 'not-a-real-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
    currentContext: 'fake',
  });
  return kubeConfig;
}

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect.fail('condition not met in time');
}

describe('operator (real API server)', function () {
  this.timeout(60_000);

  async function configFor(): Promise<{ config: Config; kubeConfig: KubeConfig }> {
    const cluster = await sharedCluster();
    const namespace = uniqueName('operator');
    const client = new KubeClient(cluster.kubeConfig);
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    client.close();
    const config: Config = {
      ...loadConfig({}),
      httpPort: 0,
      grpcPort: 0,
      podNamespace: namespace,
      leaderElection: false,
      ...(await testDatabaseConfig('operator')),
    };
    return { config, kubeConfig: cluster.kubeConfig };
  }

  it('is live at once, ready once connected, synced and migrated, and closes its port on stop', async () => {
    const { config, kubeConfig } = await configFor();
    const entries: Entry[] = [];
    const operator = buildOperator(config, recordingLogger(entries), { kubeConfig, httpHost: '127.0.0.1' });
    const started = operator.start();
    await eventually(() => operator.httpPort !== undefined);
    const port = operator.httpPort!;
    expect(await status(port, '/health')).to.equal(200);
    await started;
    // The database connects and migrates in the background (it never holds back the controllers).
    await eventually(async () => (await status(port, '/ready')) === 200);
    const connected = entries.find((entry) => entry.msg === 'connected to Kubernetes API');
    expect(connected?.fields).to.include({ version: 'v1.36.3' });

    await operator.stop();
    let refused = false;
    await status(port, '/health').catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('runs until SIGTERM and then exits 0', async () => {
    const { config, kubeConfig } = await configFor();
    const entries: Entry[] = [];
    const signals = new EventEmitter();
    const exits: number[] = [];
    const done = runOperator(config, recordingLogger(entries), {
      kubeConfig,
      httpHost: '127.0.0.1',
      signals,
      exit: (code) => exits.push(code),
    });
    await eventually(() => entries.some((entry) => entry.msg === 'operator started'));
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await done).to.equal(0);
    expect(exits).to.deep.equal([]);
    expect(entries.map((entry) => entry.msg)).to.include.members(['shutting down', 'shutdown complete']);
  });

  it('exits 1 naming the server when the API server cannot be reached', async () => {
    const entries: Entry[] = [];
    const config = { ...loadConfig({}), httpPort: 0, ...(await testDatabaseConfig('operator')) };
    const code = await runOperator(config, recordingLogger(entries), {
      kubeConfig: kubeConfigFor('http://127.0.0.1:1'),
      httpHost: '127.0.0.1',
      signals: new EventEmitter(),
      exit: () => undefined,
    });
    expect(code).to.equal(1);
    const failure = entries.find((entry) => entry.msg === 'failed to start');
    expect(String(failure?.fields.err)).to.include('cannot reach the Kubernetes API at http://127.0.0.1:1');
  });
});

import { EventEmitter } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Answers GET /version like a kube-apiserver, once `release` is called. */
async function fakeApiServer(): Promise<{ server: Server; url: string; release: () => void }> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((req, res) => {
    void released.then(() => {
      if (req.url !== '/version') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          major: '1',
          minor: '33',
          gitVersion: 'v1.33.1',
          gitCommit: 'abc',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'go1.24',
          compiler: 'gc',
          platform: 'linux/amd64',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, release };
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
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect.fail('condition not met in time');
}

describe('operator', () => {
  const config: Config = { ...loadConfig({}), httpPort: 0 };
  let api: Awaited<ReturnType<typeof fakeApiServer>>;

  beforeEach(async () => {
    api = await fakeApiServer();
  });

  afterEach(async () => {
    api.release();
    api.server.closeAllConnections();
    await new Promise((resolve) => api.server.close(resolve));
  });

  it('is live at once, ready only after the API server answered, and closes its port on stop', async () => {
    const entries: Entry[] = [];
    const operator = buildOperator(config, recordingLogger(entries), {
      kubeConfig: kubeConfigFor(api.url),
      httpHost: '127.0.0.1',
    });
    const started = operator.start();
    await eventually(() => operator.httpPort !== undefined);
    const port = operator.httpPort!;

    expect(await status(port, '/health')).to.equal(200);
    expect(await status(port, '/ready')).to.equal(503);
    api.release();
    await started;
    expect(await status(port, '/ready')).to.equal(200);
    const connected = entries.find((entry) => entry.msg === 'connected to Kubernetes API');
    expect(connected?.fields).to.include({ version: 'v1.33.1', server: api.url });

    await operator.stop();
    let refused = false;
    await status(port, '/health').catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('runs until SIGTERM and then exits 0', async () => {
    api.release();
    const entries: Entry[] = [];
    const signals = new EventEmitter();
    const exits: number[] = [];
    const done = runOperator(config, recordingLogger(entries), {
      kubeConfig: kubeConfigFor(api.url),
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

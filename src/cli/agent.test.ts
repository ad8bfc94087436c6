import { EventEmitter } from 'node:events';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { issueCertificate } from '../pki/x509.js';
import { GATEWAY_SERVER_NAME } from '../grpc/credentials.js';
import { agentPki } from '../../test/support/agent-fixtures.js';
import { normalizeSerial } from '../../test/support/grpc-fixtures.js';
import { SecretVolume, agentSerial, tlsSecretFiles, waitFor } from '../../test/support/secret-volume.js';
import { runAgent } from './agent.js';
import type { Output } from './main.js';

function capture(): Output & { stdout_: string[]; stderr_: string[] } {
  const stdout_: string[] = [];
  const stderr_: string[] = [];
  return { stdout_, stderr_, stdout: (t) => stdout_.push(t), stderr: (t) => stderr_.push(t) };
}

describe('gateway-worker agent (CLI)', () => {
  let files: string;

  before(async () => {
    const pki = await agentPki();
    files = await mkdtemp(join(tmpdir(), 'agent-cli-'));
    await writeFile(join(files, 'ca.crt'), pki.ca.certPem);
    await writeFile(join(files, 'tls.crt'), pki.agent.certPem);
    await writeFile(join(files, 'tls.key'), pki.agent.keyPem);
  });

  after(() => rm(files, { recursive: true, force: true }));

  const usageErrors: [string, string[], RegExp][] = [
    ['a missing --dir', ['--insecure-development-only'], /^--dir is required/],
    ['an unknown flag', ['--dir', 'x', '--port', '1'], /^unknown argument "--port"/],
    ['a flag without its value', ['--dir'], /^--dir needs a value/],
    ['missing TLS files', ['--dir', 'x', '--tls-ca', 'ca.crt'], /^mutual TLS needs --tls-cert, --tls-key/],
    [
      'TLS files with the insecure flag',
      ['--dir', 'x', '--insecure-development-only', '--tls-ca', 'a'],
      /cannot be combined/,
    ],
    [
      'a bad listen address',
      ['--dir', 'x', '--insecure-development-only', '--listen', '9443'],
      /^--listen must be HOST:PORT/,
    ],
    [
      'a bad HTTP port',
      ['--dir', 'x', '--insecure-development-only', '--http-port', '99999'],
      /^--http-port must be a port/,
    ],
    [
      'a report interval without a worker',
      ['--dir', 'x', '--insecure-development-only', '--report-interval', '5s'],
      /needs --worker/,
    ],
    [
      'an unreadable TLS file',
      ['--dir', 'x', '--tls-ca', '/nonexistent/ca', '--tls-cert', 'c', '--tls-key', 'k'],
      /^cannot read --tls-ca/,
    ],
    [
      'an access log without a worker',
      ['--dir', 'x', '--insecure-development-only', '--access-log', 'a.log'],
      /^--access-log needs --worker/,
    ],
    [
      'a log flag without an access log',
      ['--dir', 'x', '--insecure-development-only', '--log-window', '4'],
      /^--log-window needs --access-log/,
    ],
    [
      'an unknown log format',
      [
        '--dir',
        'x',
        '--insecure-development-only',
        '--worker',
        'w:1',
        '--access-log',
        'a',
        '--log-format',
        'xml',
      ],
      /^--log-format must be one of json, clf, tracing, auto, got "xml"/,
    ],
    [
      'a window of 0',
      [
        '--dir',
        'x',
        '--insecure-development-only',
        '--worker',
        'w:1',
        '--access-log',
        'a',
        '--log-window',
        '0',
      ],
      /^--log-window must be an integer from 1 to 1024, got "0"/,
    ],
    [
      'a linger in hours',
      [
        '--dir',
        'x',
        '--insecure-development-only',
        '--worker',
        'w:1',
        '--access-log',
        'a',
        '--log-linger',
        '2h',
      ],
      /^--log-linger must be a duration from 0 to 60s/,
    ],
    [
      'a log certificate without its key',
      [
        '--dir',
        'x',
        '--insecure-development-only',
        '--worker',
        'w:1',
        '--access-log',
        'a',
        '--log-tls-cert',
        'c',
      ],
      /^--log-tls-cert and --log-tls-key go together/,
    ],
    [
      'a log certificate in plaintext mode',
      [
        ...['--dir', 'x', '--insecure-development-only', '--worker', 'w:1', '--access-log', 'a'],
        ...['--log-tls-cert', 'c', '--log-tls-key', 'k'],
      ],
      /^--log-tls-cert needs mutual TLS/,
    ],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`exits 2 with one line for ${what}`, async () => {
      const out = capture();
      expect(await runAgent(args, {}, out)).to.equal(2);
      expect(out.stdout_).to.deep.equal([]);
      expect(out.stderr_).to.have.length(1);
      const line = out.stderr_[0]!;
      expect(line.split('\n')).to.have.length(2); // one line, then the final newline
      expect(line.replace(/^gateway-worker agent: /, '')).to.match(message);
    });
  }

  it('prints its usage for --help', async () => {
    const out = capture();
    expect(await runAgent(['--help'], {}, out)).to.equal(0);
    expect(out.stdout_.join('')).to.match(/^Usage: gateway-worker agent --dir DIR/);
  });

  it('warns when it should report to a worker with a certificate not meant for clients', async () => {
    const { ca } = await agentPki();
    const serverOnly = await issueCertificate(ca, {
      commonName: 'gateway-agent',
      usage: 'server',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
    });
    await writeFile(join(files, 'server-only.crt'), serverOnly.certPem);
    await writeFile(join(files, 'server-only.key'), serverOnly.keyPem);
    const signals = new EventEmitter();
    const logs = new PassThrough();
    const lines: string[] = [];
    logs.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const code = runAgent(
      [
        ...['--dir', join(files, 'warned'), '--listen', '127.0.0.1:0', '--http-port', '0'],
        ...['--tls-ca', join(files, 'ca.crt'), '--worker', '127.0.0.1:1'],
        ...['--tls-cert', join(files, 'server-only.crt'), '--tls-key', join(files, 'server-only.key')],
      ],
      { LOG_LEVEL: 'warn' },
      capture(),
      { signals, exit: () => undefined, logStream: logs },
    );
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await code).to.equal(0);
    expect(lines.join('')).to.include('is not valid for client authentication');
  });

  it('serves renewed TLS files from a Secret volume to new connections without a restart', async () => {
    const pki = await agentPki();
    const volume = await SecretVolume.create(join(files, 'mounted'), tlsSecretFiles(pki.agent));
    const signals = new EventEmitter();
    const logs = new PassThrough();
    let output = '';
    logs.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = runAgent(
      [
        ...['--dir', join(files, 'rotating'), '--listen', '127.0.0.1:0', '--http-port', '0'],
        ...['--tls-ca', volume.path('ca.crt'), '--tls-cert', volume.path('tls.crt')],
        ...['--tls-key', volume.path('tls.key')],
      ],
      { LOG_LEVEL: 'info' },
      capture(),
      { signals, exit: () => undefined, logStream: logs },
    );
    try {
      let address = '';
      await waitFor('the agent logs its address', () => {
        address = /"msg":"gateway agent started".*?"grpc":"([^"]+)"/.exec(output)?.[1] ?? '';
        return Promise.resolve(address !== '');
      });
      const renewed = await issueCertificate(pki.ca, {
        commonName: 'gateway-agent',
        dnsNames: [GATEWAY_SERVER_NAME],
        usage: 'both',
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3_600_000),
      });
      await volume.update(tlsSecretFiles({ ...pki.agent, certPem: renewed.certPem, keyPem: renewed.keyPem }));
      const serial = normalizeSerial(renewed.cert.serialNumber);
      await waitFor('new connections see the renewed certificate', async () => {
        return (await agentSerial(address, pki.worker)) === serial;
      });
    } finally {
      signals.emit('SIGTERM', 'SIGTERM');
    }
    expect(await code).to.equal(0);
  });

  it('runs with mutual TLS until SIGTERM, then exits 0', async () => {
    const dir = join(files, 'gateway');
    const signals = new EventEmitter();
    const code = runAgent(
      [
        '--dir',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--http-port',
        '0',
        '--tls-ca',
        join(files, 'ca.crt'),
        '--tls-cert',
        join(files, 'tls.crt'),
        '--tls-key',
        join(files, 'tls.key'),
        '--name',
        'gateway-cli',
      ],
      { LOG_LEVEL: 'error' },
      capture(),
      { signals, exit: () => undefined },
    );
    // The certs folder is made first thing on start.
    for (let i = 0; i < 200; i += 1) {
      if (
        await access(join(dir, 'certs')).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await code).to.equal(0);
  });
});

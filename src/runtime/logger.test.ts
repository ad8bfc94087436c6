import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger, type LogLevel, type Logger } from './logger.js';

interface Capture {
  logger: Logger;
  entries: () => Promise<Record<string, unknown>[]>;
  text: () => Promise<string>;
}

function capture(level: LogLevel = 'debug'): Capture {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  // winston hands entries to its transport asynchronously.
  const settled = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return chunks.join('');
  };
  return {
    logger: createLogger(level, stream),
    text: settled,
    entries: async () =>
      (await settled())
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level and msg first', async () => {
    const { logger, entries } = capture();
    logger.info('reconciled', {
      controller: 'certificate',
      namespace: 'team-a',
      name: 'web',
      reconcileID: 'r1',
    });
    const [entry] = await entries();
    expect(Object.keys(entry!)).to.deep.equal([
      'time',
      'level',
      'msg',
      'controller',
      'namespace',
      'name',
      'reconcileID',
    ]);
    expect(entry).to.include({
      level: 'info',
      msg: 'reconciled',
      controller: 'certificate',
      reconcileID: 'r1',
    });
    expect(new Date(entry!.time as string).toISOString()).to.equal(entry!.time);
  });

  it('drops entries below the configured level', async () => {
    const { logger, entries } = capture('warn');
    logger.debug('noise');
    logger.info('noise');
    logger.warn('careful');
    logger.error('broken');
    expect((await entries()).map((entry) => entry.level)).to.deep.equal(['warn', 'error']);
  });

  it('adds child fields to every entry and lets call fields override them', async () => {
    const { logger, entries } = capture();
    const child = logger.child({ controller: 'routeconfig', namespace: 'a' }).child({ name: 'r' });
    child.info('one');
    child.info('two', { namespace: 'b', attempt: 2 });
    logger.info('parent');
    const [one, two, parent] = await entries();
    expect(one).to.include({ controller: 'routeconfig', namespace: 'a', name: 'r' });
    expect(two).to.include({ controller: 'routeconfig', namespace: 'b', name: 'r', attempt: 2 });
    expect(parent).not.to.have.property('controller');
  });

  it('keeps a field named like the envelope from replacing it', async () => {
    const { logger, entries } = capture();
    logger.warn('real', { level: 'fake', msg: 'fake' });
    const [entry] = await entries();
    expect(entry).to.include({ level: 'warn', msg: 'real', 'field.level': 'fake', 'field.msg': 'fake' });
  });

  it('prints errors with their message and survives circular fields', async () => {
    const { logger, entries } = capture();
    const loop: Record<string, unknown> = { id: 1 };
    loop.self = loop;
    logger.error('failed', { err: new Error('boom'), loop });
    const [entry] = await entries();
    expect(entry!.err).to.include({ name: 'Error', message: 'boom' });
    expect(entry!.loop).to.deep.equal({ id: 1, self: '[Circular]' });
  });

  it('never prints a secret value, at any depth', async () => {
    const { logger, text } = capture();
    const secret = 'S3CR3T-VALUE';
    const secretObject = {
      kind: 'Secret',
      metadata: { name: 'web-tls', namespace: 'team-a' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': secret, 'tls.key': secret },
      stringData: { 'tls.key': secret },
    };
    logger.info('wrote secret', {
      object: secretObject,
      'tls.key': secret,
      privateKey: secret,
      password: secret,
      token: secret,
      bearerToken: secret,
      headers: { Authorization: `Bearer ${secret}` },
      keyBytes: Buffer.from(secret),
      secretName: 'web-tls',
    });
    const output = await text();
    expect(output).not.to.include(secret);
    const entry = JSON.parse(output) as Record<string, unknown>;
    expect(entry).to.include({
      'tls.key': '[REDACTED]',
      password: '[REDACTED]',
      token: '[REDACTED]',
      secretName: 'web-tls',
    });
    expect(entry.object).to.deep.include({
      data: '[REDACTED]',
      metadata: { name: 'web-tls', namespace: 'team-a' },
    });
  });
});

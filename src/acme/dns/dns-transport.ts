/**
 * Sends one DNS message to one server and returns the raw answer: over UDP, or over TCP with the
 * two-byte length prefix (RFC 1035 §4.2.2, RFC 7766). No retries here; callers decide.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { systemClock } from '../../runtime/clock.js';
import { isIpAddress } from './dns-message.js';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses "host", "host:port", "[v6]:port" or a bare IPv6 address. */
export function parseServer(spec: string, defaultPort = 53): ServerAddress {
  const text = spec.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? '', port: port(bracketed[2], defaultPort, spec) };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host = '', p] = text.split(':');
    return { host, port: port(p, defaultPort, spec) };
  }
  if (text === '') throw new Error('empty DNS server address');
  return { host: text, port: defaultPort };
}

function port(text: string | undefined, defaultPort: number, spec: string): number {
  if (text === undefined) return defaultPort;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`bad port in DNS server address "${spec}"`);
  return n;
}

export function formatServer(server: ServerAddress): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

async function resolveHost(host: string): Promise<string> {
  if (isIpAddress(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new Error(`cannot resolve DNS server name ${host}: ${(err as Error).message}`, { cause: err });
  }
}

export interface ExchangeOptions {
  readonly timeoutMs: number;
  readonly transport: 'udp' | 'tcp';
}

/**
 * Sends `message` and resolves with the answer that carries the same ID. The deadline is about
 * real sockets, so it runs on the system clock even when the caller's polling uses a test clock.
 */
export async function exchange(
  server: ServerAddress,
  message: Buffer,
  options: ExchangeOptions,
): Promise<Buffer> {
  const host = await resolveHost(server.host);
  const target = { host, port: server.port };
  const label = `${options.transport.toUpperCase()} ${formatServer(server)}`;
  return options.transport === 'udp'
    ? exchangeUdp(target, message, options.timeoutMs, label)
    : exchangeTcp(target, message, options.timeoutMs, label);
}

function exchangeUdp(
  server: ServerAddress,
  message: Buffer,
  timeoutMs: number,
  label: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    let done = false;
    const finish = (err: Error | undefined, answer?: Buffer): void => {
      if (done) return;
      done = true;
      timer.cancel();
      socket.close();
      if (answer) resolve(answer);
      else reject(err ?? new Error(`no answer from ${label}`));
    };
    const timer = systemClock.setTimer(timeoutMs, () => {
      finish(new Error(`no answer from ${label} within ${timeoutMs} ms`));
    });
    socket.on('error', (err) => {
      finish(new Error(`${label}: ${err.message}`));
    });
    socket.on('message', (answer) => {
      // Stray datagrams (a late answer to an earlier query) are ignored, not taken as ours.
      if (answer.length >= 2 && answer.readUInt16BE(0) === id) finish(undefined, answer);
    });
    // A connected socket reports ICMP "port unreachable" as ECONNREFUSED instead of a timeout.
    socket.connect(server.port, server.host, () => {
      socket.send(message);
    });
  });
}

function exchangeTcp(
  server: ServerAddress,
  message: Buffer,
  timeoutMs: number,
  label: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, answer?: Buffer): void => {
      if (done) return;
      done = true;
      timer.cancel();
      socket.destroy();
      if (answer) resolve(answer);
      else reject(err ?? new Error(`no answer from ${label}`));
    };
    const timer = systemClock.setTimer(timeoutMs, () => {
      finish(new Error(`no answer from ${label} within ${timeoutMs} ms`));
    });
    socket.on('error', (err) => {
      finish(new Error(`${label}: ${err.message}`));
    });
    socket.on('close', () => {
      finish(new Error(`${label} closed the connection without a complete answer`));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length >= 2 + length) finish(undefined, received.subarray(2, 2 + length));
    });
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(message.length);
      socket.write(Buffer.concat([prefix, message]));
    });
  });
}

/**
 * A real BIND (Debian's `named`) for DNS-01 tests: authoritative for generated zones on a free
 * loopback port (UDP and TCP), accepting dynamic updates signed with one generated TSIG key per
 * algorithm, everything in a temp folder, and killed with the test process even on SIGKILL.
 * `dig` reads what it serves, so tests check the server's state with a tool that is not ours.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ManagedProcess, releaseTempDir, trackTempDir } from '../../src/envtest/processes.js';
import { freePort, retryOnPortClash } from '../../src/envtest/ports.js';
import { absoluteName } from '../../src/acme/dns/dns-message.js';
import { tsigAlgorithmName, type TsigAlgorithm, type TsigKey } from '../../src/acme/dns/tsig.js';
import { runTool } from './install-tools.js';

export const BIND_INSTALL_COMMAND = 'apt-get update && apt-get install -y bind9 bind9-dnsutils';

export const TSIG_ALGORITHMS: readonly TsigAlgorithm[] = ['HMACMD5', 'HMACSHA1', 'HMACSHA256', 'HMACSHA512'];

export interface BindZone {
  /** e.g. "example.test." */
  readonly name: string;
  /** Whether the generated TSIG keys may update it; a zone that is not refuses every update. */
  readonly updatable?: boolean;
  /** The zone's NS records with their addresses; by default one, ns1.<zone>, at this server. */
  readonly nameservers?: readonly { readonly name: string; readonly address: string }[];
}

export interface BindServer {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:port", the form the rfc2136 solver's `nameserver` takes. */
  readonly address: string;
  readonly zones: readonly string[];
  /** The temp folder with named.conf, the zone files and named.log. */
  readonly dir: string;
  /** One key per algorithm, each allowed to update every updatable zone. */
  readonly keys: Readonly<Record<TsigAlgorithm, TsigKey>>;
  /** The last lines named logged. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export const DEFAULT_ZONES: readonly BindZone[] = [
  { name: 'example.test.', updatable: true },
  { name: 'readonly.test.', updatable: false },
];

/** PATH, plus where Debian puts named when /usr/sbin is not on a user's PATH. */
function defaultSearchPath(): string[] {
  return [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
}

function findBinary(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `named` and `dig`, or an error that says how to install them. */
export function bindTools(searchPath: readonly string[] = defaultSearchPath()): {
  named: string;
  dig: string;
} {
  const named = findBinary('named', searchPath);
  const dig = findBinary('dig', searchPath);
  if (named && dig) return { named, dig };
  const missing = [named ? [] : ['named'], dig ? [] : ['dig']].flat();
  throw new Error(
    `The DNS-01 tests need a real BIND, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed. Install Debian's BIND with:\n` +
      `  ${BIND_INSTALL_COMMAND}\n(as root, or with sudo; .ci/run does this on CI)`,
  );
}

/** A port free for both TCP and UDP on `host` a moment ago. */
async function freeDnsPort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort(host);
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => {
        socket.close(() => {
          resolve(true);
        });
      });
    });
    if (udpFree) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}

function zoneFile(zone: BindZone, host: string): string {
  const name = absoluteName(zone.name);
  const nameservers = zone.nameservers ?? [{ name: `ns1.${name}`, address: host }];
  const first = nameservers[0];
  if (!first) throw new Error(`zone ${name} needs at least one name server`);
  const lines = [
    '$TTL 60',
    `${name} IN SOA ${absoluteName(first.name)} hostmaster.${name} 1 3600 600 86400 60`,
    ...nameservers.map((ns) => `${name} IN NS ${absoluteName(ns.name)}`),
    ...nameservers.map(
      (ns) => `${absoluteName(ns.name)} IN ${ns.address.includes(':') ? 'AAAA' : 'A'} ${ns.address}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function namedConf(
  dir: string,
  host: string,
  port: number,
  zones: readonly BindZone[],
  keys: TsigKey[],
): string {
  const keyBlocks = keys.map(
    (key) => `key "${key.name}" { algorithm ${tsigAlgorithmName(key.algorithm)}; secret "${key.secret}"; };`,
  );
  const zoneBlocks = zones.map((zone, i) => {
    const update = zone.updatable ? keys.map((key) => `key "${key.name}";`).join(' ') : 'none;';
    return `zone "${absoluteName(zone.name)}" { type primary; file "${join(dir, `zone${i}.db`)}"; allow-update { ${update} }; };`;
  });
  // Every path in the temp folder, no rndc channel, no recursion: nothing outside it is touched.
  return [
    'options {',
    `  directory "${dir}";`,
    '  pid-file none;',
    '  lock-file none;',
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { ${host}; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    'controls { };',
    ...keyBlocks,
    ...zoneBlocks,
    '',
  ].join('\n');
}

export async function startBind(options: { zones?: readonly BindZone[] } = {}): Promise<BindServer> {
  const tools = bindTools();
  const host = '127.0.0.1';
  const zones = options.zones ?? DEFAULT_ZONES;
  const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-bind-'));
  trackTempDir(dir);
  const keys = Object.fromEntries(
    TSIG_ALGORITHMS.map((algorithm) => [
      algorithm,
      {
        name: `acme-${tsigAlgorithmName(algorithm)}.`,
        algorithm,
        secret: randomBytes(32).toString('base64'),
      },
    ]),
  ) as Record<TsigAlgorithm, TsigKey>;
  zones.forEach((zone, i) => {
    writeFileSync(join(dir, `zone${i}.db`), zoneFile(zone, host));
  });
  try {
    return await retryOnPortClash(async () => {
      const port = await freeDnsPort(host);
      const confPath = join(dir, 'named.conf');
      writeFileSync(confPath, namedConf(dir, host, port, zones, Object.values(keys)));
      const logFile = join(dir, 'named.log');
      // -g: foreground, log to stderr; -n 1: one worker thread is plenty and the machine is shared.
      // Run as whoever we are: named drops privileges only when given -u, which it does not need here.
      const named = ManagedProcess.start(
        'named',
        tools.named,
        ['-g', '-4', '-n', '1', '-c', confPath],
        logFile,
      );
      try {
        await waitUntilRunning(named, logFile);
      } catch (err) {
        await named.stop();
        throw err;
      }
      return {
        host,
        port,
        address: `${host}:${port}`,
        zones: zones.map((z) => absoluteName(z.name)),
        dir,
        keys,
        logTail: (lines) => named.logTail(lines),
        async stop() {
          await named.stop();
          releaseTempDir(dir);
        },
      };
    });
  } catch (err) {
    releaseTempDir(dir);
    throw err;
  }
}

async function waitUntilRunning(named: ManagedProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    let log = '';
    try {
      log = readFileSync(logFile, 'utf8');
    } catch {
      // not created yet
    }
    // BIND says only this when its port was taken since freeDnsPort found it free.
    if (/creating IPv4 interface \S+ failed/.test(log)) {
      throw new Error(`named could not listen: address already in use:\n${named.logTail(30)}`);
    }
    // named logs "running" once every zone is loaded and every listener is open.
    if (/ running$/m.test(log)) return;
    if (!named.running || / exiting/m.test(log) || Date.now() > deadline) {
      throw new Error(`named did not start:\n${named.logTail(30)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What `dig` gets from the server for `name`: one line per record, as `+short` prints them. */
export async function dig(
  server: { host: string; port: number },
  name: string,
  type = 'TXT',
): Promise<string[]> {
  const result = await runTool(bindTools().dig, [
    `@${server.host}`,
    '-p',
    String(server.port),
    '+norecurse',
    '+short',
    '+tcp',
    name,
    type,
  ]);
  if (result.code !== 0) throw new Error(`dig ${name} ${type} failed: ${result.stderr}${result.stdout}`);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

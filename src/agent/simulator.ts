/**
 * N reference agents in one process, for tests, the demo and benchmarks. Each has its own folder
 * and its own loopback address (127.0.0.2, 127.0.0.3, ...), so the worker can address them the
 * way it addresses pods, `podIP:port`, all on the same port. Linux routes all of 127.0.0.0/8 to
 * loopback; elsewhere pass `host` and distinct ports. With `logShipping`, each also follows
 * `<dir>/access.log` and ships it; {@link appendTraffic} writes generated traffic there.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import type { TlsMode } from '../grpc/credentials.js';
import { silentLogger, type Logger } from '../runtime/logger.js';
import { GatewayAgentProcess, type AgentLogShipping, type WorkerLink } from './agent.js';
import type { TrafficGenerator } from './traffic-generator.js';

/** Each gateway ships `<dir>/access.log`; a gateway needs a certificate naming it (`tls`). */
export interface SimulatedLogShipping {
  /** The certificate the i-th gateway ships with; its CN must be the gateway's name. */
  readonly tls: (name: string) => TlsMode | Promise<TlsMode>;
  /** Batch sizes, buffers and so on, for every gateway. */
  readonly options?: Partial<Omit<AgentLogShipping, 'path' | 'stateDir' | 'tls' | 'tlsFiles'>>;
}

export interface SimulatorOptions {
  readonly count: number;
  readonly tls: TlsMode;
  /** Each gateway gets `dirRoot/<name>`. */
  readonly dirRoot: string;
  /** The i-th gateway's address; default 127.0.0.(i+2), carrying into 127.0.1.x past 253. */
  readonly host?: (index: number) => string;
  /** gRPC port on every address; 0 (default) picks a free one per gateway. */
  readonly port?: number;
  /** HTTP port on every address; 0 (default) picks a free one per gateway. */
  readonly httpPort?: number;
  /** The i-th gateway's name; default gateway-<i>. */
  readonly name?: (index: number) => string;
  readonly worker?: WorkerLink;
  /** Needs `worker`. */
  readonly logShipping?: SimulatedLogShipping;
  readonly logger?: Logger;
}

export interface SimulatedGateway {
  readonly index: number;
  readonly name: string;
  readonly host: string;
  /** host:port of its GatewayAgent server. */
  readonly address: string;
  readonly httpAddress: string;
  readonly dir: string;
  /** The access log it follows when shipping logs: `<dir>/access.log`. */
  readonly accessLog: string;
  appliedVersions(): Record<string, string>;
  /** The next complete update of `type` is NACKed with `message`. */
  rejectNext(type: ResourceType, message: string): void;
  readonly agent: GatewayAgentProcess;
}

export interface SimulatedGateways {
  readonly gateways: readonly SimulatedGateway[];
  stop(): Promise<void>;
}

export function defaultHost(index: number): string {
  const n = index + 2;
  return `127.0.${Math.floor(n / 256)}.${n % 256}`;
}

export async function startSimulatedGateways(options: SimulatorOptions): Promise<SimulatedGateways> {
  const host = options.host ?? defaultHost;
  const nameOf = options.name ?? ((i: number) => `gateway-${i}`);
  const logger = options.logger ?? silentLogger;
  const agents = await Promise.all(
    Array.from({ length: options.count }, async (_, index) => {
      const name = nameOf(index);
      const dir = join(options.dirRoot, name);
      await mkdir(dir, { recursive: true });
      const address = host(index);
      const shipping = options.logShipping;
      const logShipping: AgentLogShipping | undefined = shipping
        ? {
            ...shipping.options,
            path: join(dir, 'access.log'),
            stateDir: join(dir, '.log-shipping'),
            tls: await shipping.tls(name),
          }
        : undefined;
      const agent = new GatewayAgentProcess({
        dir,
        listen: address.includes(':')
          ? `[${address}]:${options.port ?? 0}`
          : `${address}:${options.port ?? 0}`,
        httpPort: options.httpPort ?? 0,
        tls: options.tls,
        name,
        logger,
        ...(options.worker ? { worker: options.worker } : {}),
        ...(logShipping ? { logShipping } : {}),
      });
      return { index, name, host: address, dir, agent };
    }),
  );
  const started: GatewayAgentProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((agent) => agent.stop()));
  };
  try {
    // Sequential, so a port or address clash names the gateway that could not start.
    for (const { agent, name } of agents) {
      await agent.start().catch((error: unknown) => {
        throw new Error(`simulated gateway ${name} did not start: ${(error as Error).message}`);
      });
      started.push(agent);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const gateways = agents.map(({ index, name, host: h, dir, agent }): SimulatedGateway => ({
    index,
    name,
    host: h,
    address: agent.address,
    httpAddress: agent.httpAddress,
    dir,
    accessLog: join(dir, 'access.log'),
    appliedVersions: () => agent.appliedVersions(),
    rejectNext: (type, message) => agent.rejectNext(type, message),
    agent,
  }));
  return { gateways, stop: stopAll };
}

/**
 * Appends `lines` lines of generated traffic to an access log, in writes of up to 1,000 lines,
 * as a gateway would; returns how many were security lines.
 */
export async function appendTraffic(
  path: string,
  generator: TrafficGenerator,
  lines: number,
): Promise<number> {
  let security = 0;
  for (let written = 0; written < lines;) {
    const chunk: string[] = [];
    for (; chunk.length < 1000 && written < lines; written += 1) {
      const line = generator.next();
      if (line.type === 'security') security += 1;
      chunk.push(JSON.stringify(line.fields));
    }
    await appendFile(path, `${chunk.join('\n')}\n`);
  }
  return security;
}

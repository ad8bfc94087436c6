/**
 * Reference agents in child processes for the push and operator benchmarks, so that the worker's
 * figures are the worker's own: each child (push-agents-child.ts, run with tsx) starts its share
 * of the simulated gateways on their 127.0.0.x addresses, reports every update they apply when
 * asked to, and answers over the IPC channel. Agents are dealt round-robin over one child per
 * core by default, so the agents' work can use every core and no child carries more than its share.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TlsMaterial } from '../src/grpc/credentials.js';
import type { AgentUpdate } from './agent-updates.js';

export type ParentMessage =
  | {
      readonly kind: 'start';
      readonly indices: readonly number[];
      readonly tls: TlsMaterial;
      readonly dirRoot: string;
      /** The agents' gRPC port (0: a free one each) and ACME HTTP-01 port. */
      readonly port: number;
      readonly httpPort: number;
      /** Report each applied update; with endpoint counts for gateway-0's routes. */
      readonly report: false | { readonly countRouteEndpoints: boolean };
    }
  | { readonly kind: 'usage' }
  | { readonly kind: 'stop' };

export type ChildMessage =
  | { readonly kind: 'ready'; readonly gateways: readonly AgentProcessGateway[] }
  | { readonly kind: 'applied'; readonly update: AgentUpdate }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'usage'; readonly cpuMicros: number; readonly rssBytes: number }
  | { readonly kind: 'stopped' };

export interface AgentProcessGateway {
  readonly name: string;
  readonly address: string;
  readonly host: string;
  /** Its folder (waf-rules.yaml, routes.yaml, certs/). */
  readonly dir: string;
}

export interface AgentProcessesOptions {
  readonly count: number;
  /** The agents' certificate (server and client use) and CA. */
  readonly tls: TlsMaterial;
  readonly dirRoot: string;
  /** Child processes; default one per core, never more than agents. */
  readonly processes?: number;
  /** Every agent's gRPC port (default 0: a free one each) and ACME HTTP-01 port (default 0). */
  readonly port?: number;
  readonly httpPort?: number;
  /** Called with every update an agent applies (see agent-updates.ts). */
  readonly onApplied?: (update: AgentUpdate) => void;
  /** With onApplied: count the endpoints in gateway-0's routes updates. */
  readonly countRouteEndpoints?: boolean;
}

export interface AgentProcesses {
  readonly gateways: readonly AgentProcessGateway[];
  readonly processes: number;
  /** CPU time (user + system, µs) all children have used since they started. */
  cpuMicros(): Promise<number>;
  /** Resident memory of all children together, bytes. */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./push-agents-child.ts', import.meta.url));
const STOP_TIMEOUT_MS = 15_000;

type Kind = ChildMessage['kind'];

/** The child's next message of `kind`; rejects if it sends 'failed' or exits first. */
function reply<K extends Kind>(child: ChildProcess, kind: K): Promise<Extract<ChildMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.kind === 'failed') finish(() => reject(new Error(`agent process: ${message.message}`)));
      else if (message.kind === kind) finish(() => resolve(message as Extract<ChildMessage, { kind: K }>));
    };
    const onExit = (code: number | null): void =>
      finish(() => reject(new Error(`agent process exited (${code ?? 'signal'}) before '${kind}'`)));
    const finish = (settle: () => void): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function send(child: ChildProcess, message: ParentMessage): void {
  child.send(message);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  send(child, { kind: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function startAgentProcesses(options: AgentProcessesOptions): Promise<AgentProcesses> {
  const processes = Math.max(1, Math.min(options.count, options.processes ?? availableParallelism()));
  const shares = Array.from({ length: processes }, (_, p) =>
    Array.from({ length: options.count }, (_, i) => i).filter((i) => i % processes === p),
  );
  const children = shares.map(() =>
    // tsx runs the TypeScript child as it runs the benchmark; nothing else of this process is inherited.
    fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const { onApplied } = options;
  if (onApplied)
    for (const child of children)
      child.on('message', (message: ChildMessage) => {
        if (message.kind === 'applied') onApplied(message.update);
      });
  try {
    const ready = await Promise.all(
      children.map((child, p) => {
        const answer = reply(child, 'ready');
        send(child, {
          kind: 'start',
          indices: shares[p] ?? [],
          tls: options.tls,
          dirRoot: options.dirRoot,
          port: options.port ?? 0,
          httpPort: options.httpPort ?? 0,
          report: onApplied ? { countRouteEndpoints: options.countRouteEndpoints === true } : false,
        });
        return answer;
      }),
    );
    const gateways = ready
      .flatMap((r) => r.gateways)
      .sort((a, b) => Number(a.name.split('-')[1]) - Number(b.name.split('-')[1]));
    const usage = async (): Promise<Extract<ChildMessage, { kind: 'usage' }>[]> =>
      Promise.all(
        children.map((child) => {
          const answer = reply(child, 'usage');
          send(child, { kind: 'usage' });
          return answer;
        }),
      );
    return {
      gateways,
      processes,
      cpuMicros: async () => (await usage()).reduce((sum, u) => sum + u.cpuMicros, 0),
      rssBytes: async () => (await usage()).reduce((sum, u) => sum + u.rssBytes, 0),
      stop: async () => {
        await Promise.all(children.map(stopChild));
      },
    };
  } catch (error) {
    await Promise.all(children.map(stopChild));
    throw error;
  }
}

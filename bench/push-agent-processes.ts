/**
 * Reference agents in child processes for the push benchmark, so that the worker's figures are
 * the worker's own: each child (push-agents-child.ts, run with tsx) starts its share of the
 * simulated gateways on their 127.0.0.x addresses and answers over the IPC channel. Agents are
 * dealt round-robin over one child per core by default, so the agents' work can use every core
 * and no child carries more than its share.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TlsMaterial } from '../src/grpc/credentials.js';

export type ParentMessage =
  | {
      readonly kind: 'start';
      readonly indices: readonly number[];
      readonly tls: TlsMaterial;
      readonly dirRoot: string;
    }
  | { readonly kind: 'usage' }
  | { readonly kind: 'stop' };

export type ChildMessage =
  | { readonly kind: 'ready'; readonly gateways: readonly { name: string; address: string }[] }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'usage'; readonly cpuMicros: number; readonly rssBytes: number }
  | { readonly kind: 'stopped' };

export interface AgentProcessesOptions {
  readonly count: number;
  /** The agents' certificate (server and client use) and CA. */
  readonly tls: TlsMaterial;
  readonly dirRoot: string;
  /** Child processes; default one per core, never more than agents. */
  readonly processes?: number;
}

export interface AgentProcesses {
  readonly gateways: readonly { readonly name: string; readonly address: string }[];
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
  try {
    const ready = await Promise.all(
      children.map((child, p) => {
        const answer = reply(child, 'ready');
        send(child, { kind: 'start', indices: shares[p] ?? [], tls: options.tls, dirRoot: options.dirRoot });
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

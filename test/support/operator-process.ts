/** Runs `gateway-worker operator` as a real child process against a cluster, for process-level tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/envtest/ports.js';
import { sharedDatabaseUrl, uniqueSchema } from './shared-postgres.js';

const BIN = fileURLToPath(new URL('../../bin/gateway-worker.js', import.meta.url));

export class OperatorProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly httpPort: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(kubeconfig: string, env: Record<string, string> = {}): Promise<OperatorProcess> {
    const httpPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'operator'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KUBECONFIG: kubeconfig,
        HTTP_PORT: String(httpPort),
        GRPC_PORT: String(await freePort()),
        LOG_LEVEL: 'debug',
        DATABASE_URL: await sharedDatabaseUrl(),
        DATABASE_SCHEMA: uniqueSchema('process'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new OperatorProcess(child, httpPort);
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** The value of a metric line such as `leader_election_master_status{name="x"}`, or undefined. */
  async metric(nameWithLabels: string): Promise<number | undefined> {
    const { body } = await this.get('/metrics').catch(() => ({ body: '' }));
    const line = body.split('\n').find((l) => l.startsWith(`${nameWithLabels} `));
    return line === undefined ? undefined : Number(line.slice(nameWithLabels.length + 1));
  }

  /** Sum of the API requests this process made with the given verbs. */
  async requests(verbs: readonly string[]): Promise<number> {
    const { body } = await this.get('/metrics').catch(() => ({ body: '' }));
    return body
      .split('\n')
      .filter((l) => l.startsWith('gateway_worker_kube_api_requests_total{'))
      .filter((l) => verbs.some((v) => l.includes(`verb="${v}"`)))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/**
 * Proves at startup that the API server answers with our credentials, so a wrong kubeconfig or
 * a blocked network fails fast and loudly instead of as silent informers later.
 */
import { KubeClient } from './kube/client.js';
import type { KubeAccess } from './kube/kubeconfig.js';
import type { Component } from './component.js';
import type { Logger } from './logger.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export class ApiServerConnection implements Component {
  readonly name = 'kubernetes-api';
  private connected = false;
  private readonly aborter = new AbortController();

  constructor(
    private readonly kubeConfig: KubeAccess,
    private readonly logger: Logger,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** Readiness: true once the API server has answered. */
  readonly readiness = (): true | string => this.connected || 'not connected';

  async start(): Promise<void> {
    const server = this.kubeConfig.getCurrentCluster()?.server ?? '(no cluster in kubeconfig)';
    const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.timeoutMs)]);
    let gitVersion: string;
    try {
      // A client of its own for one request: the generated VersionApi would load all of
      // @kubernetes/client-node (issue 18).
      const client = new KubeClient(this.kubeConfig);
      try {
        const version = await client.request<{ gitVersion?: string }>('GET', '/version', {
          signal,
          timeoutMs: 0,
        });
        gitVersion = version.gitVersion ?? 'unknown';
      } finally {
        client.close();
      }
    } catch (err) {
      throw new Error(`cannot reach the Kubernetes API at ${server}: ${describe(err)}`, { cause: err });
    }
    this.connected = true;
    this.logger.info('connected to Kubernetes API', { server, version: gitVersion });
  }

  stop(): Promise<void> {
    this.connected = false;
    this.aborter.abort();
    return Promise.resolve();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

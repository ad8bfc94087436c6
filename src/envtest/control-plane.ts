/**
 * A local Kubernetes control plane in the envtest model: etcd and kube-apiserver on free
 * loopback ports in a temp folder, RBAC on, an admin identity in system:masters, service
 * account token signing, and a generated admin kubeconfig. No controller-manager runs, so
 * there is no garbage collection and namespaces never finish deleting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { findAsset } from './assets.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { clientCertificate, createControlPlanePki, type ControlPlanePki } from './pki.js';
import { freePort, retryOnPortClash } from './ports.js';
import { ManagedProcess, keepTempDir, releaseTempDir, trackTempDir } from './processes.js';

export interface ControlPlaneOptions {
  /** Keep etcd and kube-apiserver running after this process exits (`npm run cluster:up`). */
  readonly persistent?: boolean;
  /** Extra kube-apiserver flags, e.g. `--watch-cache=false`. */
  readonly extraApiServerArgs?: readonly string[];
  /** Picks each port to listen on; tests use it to hand out a port that is already taken. */
  readonly pickPort?: () => Promise<number>;
}

const READY_TIMEOUT_MS = 90_000;

export class LocalControlPlane {
  private etcd: ManagedProcess | undefined;
  private apiServer: ManagedProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly pki: ControlPlanePki,
    readonly etcdUrl: string,
    readonly etcdPeerUrl: string,
    readonly apiServerPort: number,
    readonly kubeconfigPath: string,
    private readonly options: ControlPlaneOptions,
  ) {}

  get server(): string {
    return `https://127.0.0.1:${this.apiServerPort}`;
  }

  get pids(): { etcd?: number; apiServer?: number } {
    return { etcd: this.etcd?.child.pid, apiServer: this.apiServer?.child.pid };
  }

  static async start(options: ControlPlaneOptions = {}): Promise<LocalControlPlane> {
    // Fail fast, before a temp folder exists, when a binary is missing.
    findAsset('kube-apiserver');
    findAsset('etcd');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-envtest-'));
    if (!options.persistent) trackTempDir(dir);
    try {
      const pki = await createControlPlanePki(join(dir, 'pki'));
      const admin = await clientCertificate(pki, 'envtest-admin', ['system:masters']);
      const pickPort = options.pickPort ?? (() => freePort());
      return await retryOnPortClash(async () => {
        const [etcdPort, etcdPeerPort, apiServerPort] = [
          await pickPort(),
          await pickPort(),
          await pickPort(),
        ];
        const kubeconfigPath = join(dir, 'kubeconfig');
        writeFileSync(
          kubeconfigPath,
          kubeconfigYaml(`https://127.0.0.1:${apiServerPort}`, pki.ca.certPem, 'envtest-admin', {
            clientCertPem: admin.certPem,
            clientKeyPem: admin.keyPem,
          }),
          { mode: 0o600 },
        );
        const plane = new LocalControlPlane(
          dir,
          pki,
          `http://127.0.0.1:${etcdPort}`,
          `http://127.0.0.1:${etcdPeerPort}`,
          apiServerPort,
          kubeconfigPath,
          options,
        );
        try {
          await plane.startEtcd();
          await plane.startApiServer();
          return plane;
        } catch (error) {
          await plane.apiServer?.stop();
          await plane.etcd?.stop();
          // A fresh etcd member on the next ports: the half-started one may have written its data.
          rmSync(join(dir, 'etcd'), { recursive: true, force: true });
          throw error;
        }
      });
    } catch (error) {
      releaseTempDir(dir);
      throw error;
    }
  }

  /** A KubeConfig for the admin identity (system:masters). */
  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /** A KubeConfig authenticated by a client certificate for `user` in `groups`. */
  async kubeConfigFor(user: string, groups: readonly string[] = []): Promise<KubeConfig> {
    const cert = await clientCertificate(this.pki, user, groups);
    const kc = new KubeConfig();
    kc.loadFromString(
      kubeconfigYaml(this.server, this.pki.ca.certPem, user, {
        clientCertPem: cert.certPem,
        clientKeyPem: cert.keyPem,
      }),
    );
    return kc;
  }

  /** A KubeConfig that authenticates with a bearer token (e.g. a ServiceAccount token). */
  kubeConfigForToken(user: string, token: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml(this.server, this.pki.ca.certPem, user, { token }));
    return kc;
  }

  /** Stops kube-apiserver and starts it again on the same port and etcd (watch-recovery tests). */
  async restartApiServer(): Promise<void> {
    await this.apiServer?.stop();
    await this.startApiServer();
  }

  async stopApiServer(): Promise<void> {
    await this.apiServer?.stop();
  }

  async startApiServer(): Promise<void> {
    const { files } = this.pki;
    this.apiServer = ManagedProcess.start(
      'kube-apiserver',
      findAsset('kube-apiserver'),
      [
        `--etcd-servers=${this.etcdUrl}`,
        `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
        `--tls-cert-file=${files.servingCert}`,
        `--tls-private-key-file=${files.servingKey}`,
        `--secure-port=${this.apiServerPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--disable-admission-plugins=ServiceAccount',
        '--authorization-mode=RBAC',
        `--client-ca-file=${files.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${files.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${files.serviceAccountKey}`,
        ...(this.options.extraApiServerArgs ?? []),
      ],
      join(this.dir, 'kube-apiserver.log'),
      { detached: this.options.persistent ?? false },
    );
    await this.waitFor(this.apiServer, () => this.probeApiServer());
  }

  private async startEtcd(): Promise<void> {
    this.etcd = ManagedProcess.start(
      'etcd',
      findAsset('etcd'),
      [
        '--name=envtest',
        `--data-dir=${join(this.dir, 'etcd')}`,
        `--listen-client-urls=${this.etcdUrl}`,
        `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=${this.etcdPeerUrl}`,
        `--initial-advertise-peer-urls=${this.etcdPeerUrl}`,
        `--initial-cluster=envtest=${this.etcdPeerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(this.dir, 'etcd.log'),
      { detached: this.options.persistent ?? false },
    );
    await this.waitFor(this.etcd, async () => {
      const response = await fetch(`${this.etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    });
  }

  /**
   * Compacts etcd's history up to now, so any watch resuming from an older resourceVersion
   * gets 410 Gone. Uses etcd's JSON gateway, so no etcdctl is needed.
   */
  async compactEtcd(): Promise<number> {
    const post = async (path: string, body: object): Promise<{ header?: { revision?: string } }> => {
      const response = await fetch(`${this.etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as { header?: { revision?: string } };
    };
    const status = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64'), limit: 1 });
    const revision = Number(status.header?.revision ?? 0);
    await post('/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }

  async stop(): Promise<void> {
    await this.apiServer?.stop();
    await this.etcd?.stop();
    releaseTempDir(this.dir);
  }

  /** Leaves the processes and their folder running after this process exits. */
  detach(): void {
    keepTempDir(this.dir);
  }

  private probeApiServer(): Promise<boolean> {
    const kc = this.adminKubeConfig();
    const user = kc.getCurrentUser();
    return new Promise((resolve) => {
      const req = httpsRequest(
        `${this.server}/readyz`,
        {
          ca: this.pki.ca.certPem,
          cert: Buffer.from(user?.certData ?? '', 'base64'),
          key: Buffer.from(user?.keyData ?? '', 'base64'),
          timeout: 2_000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  private async waitFor(process: ManagedProcess, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!process.running) {
        throw new Error(`${process.name} exited before it was ready:\n${process.logTail()}`);
      }
      if (await probe().catch(() => false)) return;
      await sleep(100);
    }
    await process.stop();
    throw new Error(
      `${process.name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${process.logTail()}`,
    );
  }
}

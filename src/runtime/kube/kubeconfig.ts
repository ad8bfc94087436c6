/**
 * The credentials to the Kubernetes API, read without @kubernetes/client-node for the common
 * forms: its KubeConfig imports the library's whole generated API, about 70 MiB of resident memory
 * for a file the operator reads once (issue 18, docs/benchmarks.md "footprint"). Covered here: the
 * in-cluster service account, and one kubeconfig file whose user has client certificates, a token,
 * a token file or a user name and password. Anything else (several KUBECONFIG files, exec plugins,
 * auth providers, impersonation, proxies) is handed to the library, loaded only then.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What KubeClient needs of a kubeconfig; @kubernetes/client-node's KubeConfig is one. */
export interface KubeAccess {
  getCurrentCluster(): { readonly server: string } | null;
  applyToHTTPSOptions(opts: HttpsRequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A projected service-account token is rotated on disk; it is read again after this long. */
const TOKEN_FILE_TTL_MS = 60_000;

interface Credentials {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly skipTLSVerify?: boolean;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
}

class StaticKubeAccess implements KubeAccess {
  private token: { value: string; readAt: number } | undefined;

  constructor(private readonly credentials: Credentials) {}

  getCurrentCluster(): { readonly server: string } {
    return { server: this.credentials.server };
  }

  applyToHTTPSOptions(opts: HttpsRequestOptions): Promise<void> {
    const c = this.credentials;
    if (c.ca) opts.ca = c.ca;
    if (c.cert) opts.cert = c.cert;
    if (c.key) opts.key = c.key;
    if (c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName) opts.servername = c.tlsServerName;
    const token = c.token ?? this.fileToken();
    if (token) {
      // KubeClient passes no headers of its own: a record, never the raw-array form.
      const headers = (opts.headers ?? {}) as OutgoingHttpHeaders;
      opts.headers = { ...headers, Authorization: `Bearer ${token}` };
    }
    if (c.username !== undefined) opts.auth = `${c.username}:${c.password ?? ''}`;
    return Promise.resolve();
  }

  private fileToken(): string | undefined {
    const file = this.credentials.tokenFile;
    if (!file) return undefined;
    const now = Date.now();
    if (!this.token || now - this.token.readAt > TOKEN_FILE_TTL_MS)
      this.token = { value: readFileSync(file, 'utf8').trim(), readAt: now };
    return this.token.value;
  }
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
  readonly serviceAccountDir?: string;
}

/**
 * As the library's `loadFromDefault()`: KUBECONFIG, else ~/.kube/config, else the in-cluster
 * service account.
 */
export async function loadKubeAccess(options: LoadOptions = {}): Promise<KubeAccess> {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const homeFile = join(options.home ?? homedir(), '.kube', 'config');
  let credentials: Credentials | undefined;
  if (files.length === 1 && files[0]) credentials = fromFile(files[0]);
  else if (files.length === 0 && existsSync(homeFile)) credentials = fromFile(homeFile);
  else if (files.length === 0 && existsSync(join(saDir, 'token'))) credentials = inCluster(env, saDir);
  if (credentials) return new StaticKubeAccess(credentials);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  // The library reads KUBECONFIG from process.env: one file is given to it by name.
  if (files.length === 1 && files[0]) kubeConfig.loadFromFile(files[0]);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

function inCluster(env: NodeJS.ProcessEnv, dir: string): Credentials | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(dir, 'ca.crt')),
    tokenFile: join(dir, 'token'),
  };
}

type Entry = Record<string, unknown>;
const KNOWN_USER_KEYS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'username',
  'password',
]);
const KNOWN_CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);

/** The current context's credentials, or undefined when they need the library. */
export function fromFile(path: string): Credentials | undefined {
  const doc = parse(readFileSync(path, 'utf8')) as Entry | null;
  if (!doc || typeof doc !== 'object') return undefined;
  const named = (list: unknown, name: unknown, field: string): Entry | undefined => {
    if (!Array.isArray(list) || typeof name !== 'string') return undefined;
    const entry = (list as Entry[]).find((e) => e.name === name)?.[field];
    return entry && typeof entry === 'object' ? (entry as Entry) : undefined;
  };
  const context = named(doc.contexts, doc['current-context'], 'context');
  const cluster = named(doc.clusters, context?.cluster, 'cluster');
  // A context without a user is anonymous access.
  const user = context?.user === undefined ? {} : named(doc.users, context.user, 'user');
  if (!context || !cluster || !user || typeof cluster.server !== 'string') return undefined;
  if (Object.keys(user).some((k) => !KNOWN_USER_KEYS.has(k))) return undefined;
  if (Object.keys(cluster).some((k) => !KNOWN_CLUSTER_KEYS.has(k))) return undefined;
  const base = dirname(path);
  const read = (data: unknown, file: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof file === 'string') return readFileSync(isAbsolute(file) ? file : join(base, file));
    return undefined;
  };
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const tokenFile = str(user.tokenFile);
  return {
    server: cluster.server,
    ca: read(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: read(user['client-certificate-data'], user['client-certificate']),
    key: read(user['client-key-data'], user['client-key']),
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster['tls-server-name']),
    token: str(user.token),
    tokenFile: tokenFile && !isAbsolute(tokenFile) ? join(base, tokenFile) : tokenFile,
    username: str(user.username),
    password: str(user.password),
  };
}

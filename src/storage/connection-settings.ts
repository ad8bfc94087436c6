/**
 * Turns the database configuration into connection settings, without I/O except reading the CA
 * file: one parser for the operator and the CLI, whose errors name the key, mask the password and
 * say what is allowed.
 */

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface DatabaseConfig {
  readonly databaseUrl?: string;
  readonly databaseSslmode?: SslMode;
  readonly databaseCaFile?: string;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  readonly databaseSchema: string;
  readonly embeddedDataDir: string;
}

export interface PostgresSettings {
  readonly kind: 'postgres';
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly applicationName: string;
  readonly sslMode: SslMode;
  /** PEM text of the CA bundle (DATABASE_CA_FILE or the URL's sslrootcert). */
  readonly ca: string | undefined;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly schema: string;
  /** The URL with the password masked: the only form that is ever printed. */
  readonly description: string;
}

export interface EmbeddedSettings {
  readonly kind: 'embedded';
  readonly dataDir: string;
  readonly statementTimeoutMs: number;
  readonly schema: string;
  readonly description: string;
}

export type StoreSettings = PostgresSettings | EmbeddedSettings;

/** A configuration problem that retrying will not fix; the message is safe to print. */
export class DatabaseSettingsError extends Error {
  override readonly name = 'DatabaseSettingsError';
}

/** Query parameters of the URL we understand; anything else is refused rather than ignored. */
const URL_PARAMETERS = ['sslmode', 'sslrootcert', 'application_name', 'connect_timeout', 'host', 'port'];
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export type ReadText = (path: string) => string;

export function storeSettings(config: DatabaseConfig, readText: ReadText): StoreSettings {
  if (config.databaseUrl === undefined) {
    return {
      kind: 'embedded',
      dataDir: config.embeddedDataDir,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      schema: config.databaseSchema,
      description: `embedded store in ${config.embeddedDataDir}`,
    };
  }
  return postgresSettings(config, config.databaseUrl, readText);
}

/** The URL as it may be printed: the password, if any, replaced by `***`. */
export function maskUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    // Unparseable: keep the scheme and host part only, so no password can slip through.
    const at = text.lastIndexOf('@');
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
    return at >= 0 ? `${scheme}***@${text.slice(at + 1)}` : text.replace(/:[^:@/]*$/, ':***');
  }
}

function postgresSettings(config: DatabaseConfig, text: string, readText: ReadText): PostgresSettings {
  const shown = maskUrl(text);
  const bad = (problem: string): DatabaseSettingsError =>
    new DatabaseSettingsError(`DATABASE_URL=${shown}: ${problem}`);

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL; must look like postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw bad(`the scheme must be postgres:// or postgresql://, not ${url.protocol}//`);
  }
  for (const name of url.searchParams.keys()) {
    if (!URL_PARAMETERS.includes(name)) {
      throw bad(`unknown parameter "${name}"; the parameters understood are ${URL_PARAMETERS.join(', ')}`);
    }
  }
  const params = url.searchParams;
  const host = params.get('host') ?? decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
  if (host === '') throw bad('no host; must look like postgres://user:password@host:5432/database');
  const portText = params.get('port') ?? (url.port === '' ? '5432' : url.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${portText} is not 1-65535`);

  const urlMode = params.get('sslmode');
  if (urlMode !== null && !(SSL_MODES as readonly string[]).includes(urlMode)) {
    throw bad(
      `sslmode=${urlMode} is not supported; use one of ${SSL_MODES.join(', ')} (node-postgres has no prefer/allow)`,
    );
  }
  const sslMode = config.databaseSslmode ?? (urlMode as SslMode | null) ?? 'disable';

  const caFile = config.databaseCaFile ?? params.get('sslrootcert') ?? undefined;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readText(caFile);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DatabaseSettingsError(`DATABASE_CA_FILE=${caFile}: cannot read the file (${why})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new DatabaseSettingsError(`DATABASE_CA_FILE=${caFile}: holds no PEM certificate`);
    }
  }
  if (sslMode === 'verify-ca' && ca === undefined) {
    throw new DatabaseSettingsError(
      'DATABASE_SSLMODE=verify-ca needs the CA that signed the server certificate: set DATABASE_CA_FILE',
    );
  }

  const timeoutText = params.get('connect_timeout');
  const connectTimeoutMs = timeoutText === null ? DEFAULT_CONNECT_TIMEOUT_MS : Number(timeoutText) * 1000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw bad(`connect_timeout=${timeoutText ?? ''} must be a positive number of seconds`);
  }

  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    kind: 'postgres',
    host,
    port,
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database: path === '' ? undefined : path,
    applicationName: params.get('application_name') ?? 'gateway-worker',
    sslMode,
    ca,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs,
    schema: config.databaseSchema,
    description: shown,
  };
}

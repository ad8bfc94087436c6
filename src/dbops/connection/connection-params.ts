/**
 * A DatabaseConnection and the Secret entries it names, turned into what a client needs to log
 * in. The password lives only in this object, in memory, for the duration of one job: it is
 * never logged, put in a job payload, a status, an Event or a ConfigMap.
 */
import type { DatabaseConnectionSpec, SslMode } from '../../api/v1alpha1/databaseconnection.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import { OperationError } from '../operation-error.js';

export interface ConnectionParams {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string | undefined;
  readonly sslMode: SslMode;
  /** PEM CA bundle for verify-ca and verify-full. */
  readonly ca: string | undefined;
  readonly connectTimeoutMs: number;
  /** `postgres://user@host:port/database`: the only form ever printed. */
  readonly description: string;
}

/** Reads one entry of a Secret in the resource's namespace; undefined when the Secret or key is missing. */
export type SecretReader = (name: string, key: string) => Promise<string | undefined>;

export function describeConnection(p: Pick<ConnectionParams, 'host' | 'port' | 'database' | 'user'>): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `postgres://${encodeURIComponent(p.user)}@${host}:${p.port}/${encodeURIComponent(p.database)}`;
}

export async function connectionParams(
  spec: DatabaseConnectionSpec,
  readSecret: SecretReader,
): Promise<ConnectionParams> {
  const entry = async (ref: { name: string; key: string }, what: string): Promise<string> => {
    const value = await readSecret(ref.name, ref.key);
    if (value === undefined)
      throw new OperationError(
        'SecretNotFound',
        `the ${what} Secret ${ref.name} has no key ${ref.key} (or does not exist): create it, or fix ${what === 'password' ? 'passwordSecretRef' : 'caSecretRef'}`,
        false,
      );
    return value;
  };
  const password = spec.passwordSecretRef ? await entry(spec.passwordSecretRef, 'password') : undefined;
  const ca = spec.caSecretRef ? await entry(spec.caSecretRef, 'CA') : undefined;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new OperationError(
      'SecretNotFound',
      `the CA Secret ${spec.caSecretRef?.name ?? ''} key ${spec.caSecretRef?.key ?? ''} holds no PEM certificate`,
      true,
    );
  return {
    host: spec.host,
    port: spec.port,
    database: spec.database,
    user: spec.user,
    password: password?.replace(/\r?\n$/, ''),
    sslMode: spec.sslMode,
    ca,
    connectTimeoutMs: durationMillis(spec.connectTimeout),
    description: describeConnection(spec),
  };
}

/** The same server, another database (a scratch database for verification, `postgres` for CREATE DATABASE). */
export function onDatabase(params: ConnectionParams, database: string): ConnectionParams {
  return { ...params, database, description: describeConnection({ ...params, database }) };
}

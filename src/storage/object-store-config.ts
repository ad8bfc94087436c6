/**
 * OBJECT_STORE_URL and the S3_* keys → an object store, with the checks one key alone cannot
 * make: keys that only work together, and a CA file that must be readable PEM. The checks run at
 * start-up, synchronously; the S3 backend (the AWS SDK, half a second to load) is imported only
 * when an s3:// store is opened, so no other command pays for it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Config } from '../config/index.js';
import type { Component } from '../runtime/component.js';
import type { Logger } from '../runtime/logger.js';
import { DirectoryObjectStore } from './object-store-directory.js';
import type { S3ObjectStoreOptions } from './object-store-s3.js';
import type { ObjectStore } from './object-store.js';

type ObjectStoreConfig = Pick<
  Config,
  | 'objectStoreUrl'
  | 's3Endpoint'
  | 's3Region'
  | 's3ForcePathStyle'
  | 's3AccessKeyId'
  | 's3SecretAccessKey'
  | 's3CaFile'
>;

export type ObjectStoreSettings =
  | { readonly kind: 'directory'; readonly root: string }
  | { readonly kind: 's3'; readonly options: S3ObjectStoreOptions };

/** What OBJECT_STORE_URL asks for, or undefined when it is not set. Throws ConfigError. */
export function objectStoreSettings(
  config: ObjectStoreConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ObjectStoreSettings | undefined {
  const url = config.objectStoreUrl;
  if (url === undefined) return undefined;
  if (url.startsWith('file://')) return { kind: 'directory', root: fileURLToPath(url) };

  const parsed = new URL(url);
  const path = parsed.pathname.replace(/^\/+/, '');
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  if (
    prefix
      .split('/')
      .some((segment, i, all) => (segment === '' && i < all.length - 1) || segment.startsWith('.'))
  )
    throw new ConfigError(
      `OBJECT_STORE_URL=${url}: the prefix after the bucket must be /-separated names, none empty or starting with '.'`,
    );
  if ((config.s3AccessKeyId === undefined) !== (config.s3SecretAccessKey === undefined))
    throw new ConfigError(
      `S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (${config.s3AccessKeyId === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'} is missing); with neither, the AWS SDK's default credential chain is used`,
    );
  const options: S3ObjectStoreOptions = {
    bucket: parsed.hostname,
    prefix,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    ...(config.s3AccessKeyId !== undefined && config.s3SecretAccessKey !== undefined
      ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
      : {}),
    ...(config.s3CaFile ? { caPem: readCa(config.s3CaFile, readFile) } : {}),
  };
  return { kind: 's3', options };
}

export async function openObjectStore(settings: ObjectStoreSettings): Promise<ObjectStore> {
  if (settings.kind === 'directory') return new DirectoryObjectStore(settings.root);
  const { S3ObjectStore } = await import('./object-store-s3.js');
  return new S3ObjectStore(settings.options);
}

function readCa(path: string, readFile: (path: string) => string): string {
  let pem: string;
  try {
    pem = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      `S3_CA_FILE=${path}: cannot read the file (${code}); must be a PEM file of CA certificates`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(
      `S3_CA_FILE=${path}: holds no PEM certificate; must be a PEM file of CA certificates`,
    );
  return pem;
}

/**
 * The store as an operator component: at start it opens the store and checks, in the background,
 * that it can be reached and written, and says so in the log. A failure is a warning, never a
 * stop or a slow start: certificates, WAF rules and routes do not need the store, and what does
 * reports its own errors.
 */
export class ObjectStoreComponent implements Component {
  readonly name = 'object-store';
  private openedStore: ObjectStore | undefined;

  constructor(
    private readonly settings: ObjectStoreSettings,
    private readonly logger: Logger,
  ) {}

  /** The store once started, else undefined. */
  get opened(): ObjectStore | undefined {
    return this.openedStore;
  }

  /** The store, once started. */
  get store(): ObjectStore {
    if (!this.openedStore) throw new Error('the object store has not been opened yet');
    return this.openedStore;
  }

  async start(): Promise<void> {
    const store = await openObjectStore(this.settings);
    this.openedStore = store;
    store.check().then(
      () => this.logger.info('object store ready', { location: store.location }),
      (error: unknown) =>
        this.logger.warn('object store not reachable; archives and backups fail until it is', {
          location: store.location,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  }

  stop(): Promise<void> {
    this.openedStore?.close();
    this.openedStore = undefined;
    return Promise.resolve();
  }
}

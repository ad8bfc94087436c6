import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from './index.js';

function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  };
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns the documented defaults when nothing is set', () => {
    const expected: Config = {
      grpcPort: 8080,
      httpPort: 8081,
      logLevel: 'info',
      queueWorkers: 5,
      watchNamespaces: [],
      podNamespace: 'gateway-worker-system',
      leaderElection: true,
      gatewaySelector: 'app.kubernetes.io/name=gateway',
      gatewayAgentPort: 9443,
      certificateRetryInitialSeconds: 3600,
      certificateRetryMaxSeconds: 115200,
      s3Region: 'us-east-1',
      s3ForcePathStyle: false,
      databasePoolSize: 10,
      databaseStatementTimeoutMs: 30000,
      databaseSchema: 'gateway_worker',
      embeddedDataDir: 'data/embedded',
      jobRetentionDays: 14,
      certificateTransientRetryInitialSeconds: 30,
      certificateTransientRetryMaxSeconds: 240,
      certificateMaxConcurrentIssuances: 10,
      notifyCertificateExpiryDays: 14,
      notifyGatewayGoneMinutes: 5,
      notifyGatewayUnsyncedMinutes: 10,
      notifyTrafficErrorRatePercent: 5,
      notifyTrafficP95Ms: 1000,
      notifyTrafficDropPercent: 50,
      notifyTrafficMinRequests: 100,
      notifySentRetentionDays: 7,
      notifyDeadRetentionDays: 30,
      telemetryMaxBatchBytes: 4194304,
      telemetryStreamWindow: 16,
      telemetryMinuteRetentionDays: 14,
      telemetryHourlyRetentionDays: 400,
      telemetryDailyRetentionDays: 800,
      securityEventRetentionDays: 30,
      auditRetentionDays: 400,
      telemetryBatchRetentionHours: 24,
      telemetryTopK: 100,
      telemetryPollSeconds: 10,
      metricsTopRoutes: 20,
    };
    expect(loadConfig({})).to.deep.equal(expected);
  });

  it('never echoes DATABASE_URL, which may carry a password, in an error', () => {
    const error = configError(() =>
      loadConfig({ CONFIG_FILE: 'gw.yaml' }, () => 'DATABASE_URL: [postgres://app:s3cret@db/gw]\n'),
    );
    expect(error.message).to.equal(
      'invalid configuration: DATABASE_URL=(value hidden) (in gw.yaml): must be a PostgreSQL URL such as postgres://user:password@host:5432/database',
    );
    expect(error.message).not.to.include('s3cret');
  });

  it('reads the database keys and refuses a schema name SQL would need quoting for', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://gw@db.internal/gateway',
      DATABASE_SSLMODE: 'verify-full',
      DATABASE_POOL_SIZE: '20',
      DATABASE_SCHEMA: 'gw_prod',
    });
    expect(config).to.include({
      databaseSslmode: 'verify-full',
      databasePoolSize: 20,
      databaseSchema: 'gw_prod',
    });
    expect(configError(() => loadConfig({ DATABASE_SCHEMA: 'Gateway-Worker' })).message).to.match(
      /^invalid configuration: DATABASE_SCHEMA=Gateway-Worker: must be a lowercase SQL name/,
    );
    expect(configError(() => loadConfig({ DATABASE_SSLMODE: 'prefer' })).message).to.equal(
      'invalid configuration: DATABASE_SSLMODE=prefer: must be one of disable, require, verify-ca, verify-full',
    );
  });

  it('reads every key from the environment and ignores unrelated variables', () => {
    const config = loadConfig({
      GRPC_PORT: '9090',
      HTTP_PORT: '9091',
      LOG_LEVEL: 'debug',
      QUEUE_WORKERS: '12',
      WATCH_NAMESPACES: 'team-a, team-b,,',
      POD_NAMESPACE: 'ops',
      LEADER_ELECTION: 'false',
      POD_NAME: 'gateway-worker-7d9f-abcde',
      GATEWAY_SELECTOR: 'app=edge,tier=public',
      GATEWAY_AGENT_PORT: '9444',
      CERTIFICATE_RETRY_INITIAL_SECONDS: '60',
      CERTIFICATE_RETRY_MAX_SECONDS: '7200',
      DATABASE_URL: 'postgres://gw@db/gateway',
      DATABASE_SSLMODE: 'require',
      DATABASE_CA_FILE: '/etc/db/ca.crt',
      DATABASE_POOL_SIZE: '4',
      DATABASE_STATEMENT_TIMEOUT_MS: '5000',
      DATABASE_SCHEMA: 'gw',
      EMBEDDED_DATA_DIR: '/var/lib/gw',
      JOB_RETENTION_DAYS: '30',
      CERTIFICATE_TRANSIENT_RETRY_INITIAL_SECONDS: '10',
      CERTIFICATE_TRANSIENT_RETRY_MAX_SECONDS: '120',
      CERTIFICATE_MAX_CONCURRENT_ISSUANCES: '25',
      NOTIFY_CERTIFICATE_EXPIRY_DAYS: '21',
      NOTIFY_GATEWAY_GONE_MINUTES: '2',
      NOTIFY_GATEWAY_UNSYNCED_MINUTES: '15',
      NOTIFY_TRAFFIC_ERROR_RATE_PERCENT: '2',
      NOTIFY_TRAFFIC_P95_MS: '750',
      NOTIFY_TRAFFIC_DROP_PERCENT: '30',
      NOTIFY_TRAFFIC_MIN_REQUESTS: '500',
      NOTIFY_SENT_RETENTION_DAYS: '3',
      NOTIFY_DEAD_RETENTION_DAYS: '90',
      TELEMETRY_MAX_BATCH_BYTES: '1048576',
      TELEMETRY_STREAM_WINDOW: '4',
      HOME: '/root',
      grpc_port: 'not-a-port',
    });
    expect(config).to.deep.equal({
      grpcPort: 9090,
      httpPort: 9091,
      logLevel: 'debug',
      queueWorkers: 12,
      watchNamespaces: ['team-a', 'team-b'],
      podNamespace: 'ops',
      leaderElection: false,
      podName: 'gateway-worker-7d9f-abcde',
      gatewaySelector: 'app=edge,tier=public',
      gatewayAgentPort: 9444,
      certificateRetryInitialSeconds: 60,
      certificateRetryMaxSeconds: 7200,
      s3Region: 'us-east-1',
      s3ForcePathStyle: false,
      databaseUrl: 'postgres://gw@db/gateway',
      databaseSslmode: 'require',
      databaseCaFile: '/etc/db/ca.crt',
      databasePoolSize: 4,
      databaseStatementTimeoutMs: 5000,
      databaseSchema: 'gw',
      embeddedDataDir: '/var/lib/gw',
      jobRetentionDays: 30,
      certificateTransientRetryInitialSeconds: 10,
      certificateTransientRetryMaxSeconds: 120,
      certificateMaxConcurrentIssuances: 25,
      notifyCertificateExpiryDays: 21,
      notifyGatewayGoneMinutes: 2,
      notifyGatewayUnsyncedMinutes: 15,
      notifyTrafficErrorRatePercent: 2,
      notifyTrafficP95Ms: 750,
      notifyTrafficDropPercent: 30,
      notifyTrafficMinRequests: 500,
      notifySentRetentionDays: 3,
      notifyDeadRetentionDays: 90,
      telemetryMaxBatchBytes: 1048576,
      telemetryStreamWindow: 4,
      telemetryMinuteRetentionDays: 14,
      telemetryHourlyRetentionDays: 400,
      telemetryDailyRetentionDays: 800,
      securityEventRetentionDays: 30,
      auditRetentionDays: 400,
      telemetryBatchRetentionHours: 24,
      telemetryTopK: 100,
      telemetryPollSeconds: 10,
      metricsTopRoutes: 20,
    });
  });

  it('refuses a telemetry batch limit below 1 KiB, naming the range', () => {
    expect(configError(() => loadConfig({ TELEMETRY_MAX_BATCH_BYTES: '100' })).message).to.equal(
      'invalid configuration: TELEMETRY_MAX_BATCH_BYTES=100: must be an integer from 1024 to 67108864',
    );
  });

  it('reads the object store keys', () => {
    const config = loadConfig({
      OBJECT_STORE_URL: 's3://archive-bucket/gateway-worker/',
      S3_ENDPOINT: 'https://minio.storage:9000',
      S3_REGION: 'sa-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
      S3_CA_FILE: '/etc/gateway-worker/s3-ca/ca.crt',
    });
    expect(config).to.include({
      objectStoreUrl: 's3://archive-bucket/gateway-worker/',
      s3Endpoint: 'https://minio.storage:9000',
      s3Region: 'sa-east-1',
      s3ForcePathStyle: true,
      s3AccessKeyId: 'AKIAEXAMPLE',
      s3SecretAccessKey: 'not-a-real-secret',
      s3CaFile: '/etc/gateway-worker/s3-ca/ca.crt',
    });
    expect(loadConfig({ OBJECT_STORE_URL: 'file:///data/archive' }).objectStoreUrl).to.equal(
      'file:///data/archive',
    );
  });

  it('returns a frozen object whose namespace list is frozen too', () => {
    const config = loadConfig({ WATCH_NAMESPACES: 'a' });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.watchNamespaces)).to.equal(true);
  });

  it('takes typed values from the file and lets the environment override them', () => {
    const readFile = files({
      '/etc/gw.yaml': [
        'GRPC_PORT: 7000',
        'QUEUE_WORKERS: 8',
        'LEADER_ELECTION: false',
        'WATCH_NAMESPACES: [one, two]',
        'LOG_LEVEL: warn',
      ].join('\n'),
    });
    const config = loadConfig({ CONFIG_FILE: '/etc/gw.yaml', QUEUE_WORKERS: '3', LOG_LEVEL: '' }, readFile);
    expect(config).to.include({ grpcPort: 7000, queueWorkers: 3, leaderElection: false, logLevel: 'warn' });
    expect(config.watchNamespaces).to.deep.equal(['one', 'two']);
  });

  it('accepts an empty file as no settings', () => {
    expect(loadConfig({ CONFIG_FILE: '/empty.yaml' }, files({ '/empty.yaml': '' })).grpcPort).to.equal(8080);
  });

  const badValues: { name: string; env: Record<string, string>; file?: string; message: string }[] = [
    {
      name: 'a port that is not a number',
      env: { GRPC_PORT: 'abc' },
      message: 'invalid configuration: GRPC_PORT=abc: must be an integer from 1 to 65535',
    },
    {
      name: 'a port above 65535',
      env: { HTTP_PORT: '70000' },
      message: 'invalid configuration: HTTP_PORT=70000: must be an integer from 1 to 65535',
    },
    {
      name: 'zero queue workers',
      env: { QUEUE_WORKERS: '0' },
      message: 'invalid configuration: QUEUE_WORKERS=0: must be an integer from 1 to 100',
    },
    {
      name: 'a fractional worker count',
      env: { QUEUE_WORKERS: '2.5' },
      message: 'invalid configuration: QUEUE_WORKERS=2.5: must be an integer from 1 to 100',
    },
    {
      name: 'an unknown log level',
      env: { LOG_LEVEL: 'loud' },
      message: 'invalid configuration: LOG_LEVEL=loud: must be one of error, warn, info, debug',
    },
    {
      name: 'a boolean that is neither true nor false',
      env: { LEADER_ELECTION: 'maybe' },
      message: 'invalid configuration: LEADER_ELECTION=maybe: must be true or false',
    },
    {
      name: 'a watched namespace that is not a DNS label',
      env: { WATCH_NAMESPACES: 'team-a,Team_B' },
      message:
        'invalid configuration: WATCH_NAMESPACES=team-a,Team_B: entry Team_B is not valid; must be a comma-separated list where each entry is a DNS-1123 label',
    },
    {
      name: 'a pod namespace that is not a DNS label',
      env: { POD_NAMESPACE: '-ops' },
      message: 'invalid configuration: POD_NAMESPACE=-ops: must be a DNS-1123 label',
    },
    {
      name: 'a bad value in the file',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: 'QUEUE_WORKERS: 500',
      message: 'invalid configuration: QUEUE_WORKERS=500 (in /etc/gw.yaml): must be an integer from 1 to 100',
    },
    {
      name: 'a number where the file needs a boolean',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: 'LEADER_ELECTION: 1',
      message: 'invalid configuration: LEADER_ELECTION=1 (in /etc/gw.yaml): must be true or false',
    },
    {
      name: 'an unknown key in the file',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: 'grpcPort: 9000',
      message:
        'invalid configuration: grpcPort=9000 (in /etc/gw.yaml): unknown key; must be one of GRPC_PORT, HTTP_PORT',
    },
    {
      name: 'a file that is a list rather than a mapping',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: '- GRPC_PORT: 1',
      message:
        'invalid configuration: CONFIG_FILE=/etc/gw.yaml: must be a YAML mapping of configuration keys, got a list',
    },
    {
      name: 'a file that is not YAML',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: 'GRPC_PORT: [1\n  oops: {',
      message: 'invalid configuration: CONFIG_FILE=/etc/gw.yaml: not valid YAML',
    },
    {
      name: 'an object store URL of another scheme',
      env: { OBJECT_STORE_URL: 'gs://bucket/archive' },
      message:
        'invalid configuration: OBJECT_STORE_URL=gs://bucket/archive: must be file:///ABSOLUTE/PATH (a directory, such as a mounted volume) or s3://BUCKET[/PREFIX]',
    },
    {
      name: 'an S3 bucket name with capitals',
      env: { OBJECT_STORE_URL: 's3://My_Bucket' },
      message: 'invalid configuration: OBJECT_STORE_URL=s3://My_Bucket: must be file:///',
    },
    {
      name: 'an S3 endpoint without a scheme',
      env: { S3_ENDPOINT: 'minio:9000' },
      message: 'invalid configuration: S3_ENDPOINT=minio:9000: must be an http:// or https:// URL',
    },
    {
      name: 'a secret access key of the wrong type, without showing it',
      env: { CONFIG_FILE: '/etc/gw.yaml' },
      file: 'S3_SECRET_ACCESS_KEY: 123456789',
      message:
        'invalid configuration: S3_SECRET_ACCESS_KEY=(value hidden) (in /etc/gw.yaml): must be a non-empty secret access key',
    },
    {
      name: 'a missing file',
      env: { CONFIG_FILE: '/nope.yaml' },
      message: 'invalid configuration: CONFIG_FILE=/nope.yaml: cannot read the file (ENOENT',
    },
  ];

  for (const { name, env, file, message } of badValues) {
    it(`rejects ${name} with one line naming the key and what is allowed`, () => {
      const readFile = files(file === undefined ? {} : { '/etc/gw.yaml': file });
      const error = configError(() => loadConfig(env, readFile));
      expect(error.message).to.have.string(message);
      expect(error.message).not.to.include('\n');
    });
  }
});

describe('gateway-worker operator with a bad configuration', () => {
  it('exits with code 2 and a single stderr line naming the key', function () {
    this.timeout(30_000);
    const bin = fileURLToPath(new URL('../../bin/gateway-worker.js', import.meta.url));
    const result = spawnSync(process.execPath, [bin, 'operator'], {
      env: { PATH: process.env.PATH, QUEUE_WORKERS: '0' },
      encoding: 'utf8',
      timeout: 25_000,
    });
    expect(result.status, result.stderr).to.equal(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^gateway-worker: invalid configuration: QUEUE_WORKERS=0: must be an integer from 1 to 100$/,
    );
  });
});

/**
 * The worker's schema, as numbered migrations applied in order. A migration is never edited once
 * released: a change is a new migration appended to the list. Each runs in its own transaction,
 * recorded in `schema_migrations`, so a crash half-way leaves the schema at the last one applied.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /**
   * Statements run in one transaction, one by one (PGlite's extended protocol takes a single
   * statement per query); `schema` is the quoted schema name.
   */
  statements(schema: string): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'job queue and schedules',
    statements: (s) => [
      `
      CREATE TABLE ${s}.jobs (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        target text NOT NULL DEFAULT '',
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        state text NOT NULL
          CHECK (state IN ('queued', 'retry', 'running', 'succeeded', 'cancelled', 'dead')),
        singleton_key text,
        schedule text,
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL CHECK (max_attempts >= 1),
        backoff_initial_ms integer NOT NULL,
        backoff_max_ms integer NOT NULL,
        timeout_ms integer NOT NULL CHECK (timeout_ms >= 1),
        run_at timestamptz NOT NULL,
        lease_expires_at timestamptz,
        locked_by text,
        cancel_requested boolean NOT NULL DEFAULT false,
        last_error text,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz
      );`,
      // Claiming: due jobs in order, and running jobs whose lease ran out.
      `CREATE INDEX jobs_due ON ${s}.jobs (run_at) WHERE state IN ('queued', 'retry');`,
      `CREATE INDEX jobs_lease ON ${s}.jobs (lease_expires_at) WHERE state = 'running';`,
      `CREATE INDEX jobs_finished ON ${s}.jobs (finished_at) WHERE finished_at IS NOT NULL;`,
      `CREATE INDEX jobs_created ON ${s}.jobs (created_at DESC);`,
      // One unfinished job per singleton key: the database, not a check in code, keeps it so.
      `CREATE UNIQUE INDEX jobs_singleton ON ${s}.jobs (singleton_key)
        WHERE singleton_key IS NOT NULL AND state IN ('queued', 'retry', 'running');`,
      // owner: who declares the schedule, 'code' (with a job kind) or, later, the resource owning it.
      `
      CREATE TABLE ${s}.schedules (
        name text PRIMARY KEY,
        owner text NOT NULL DEFAULT 'code',
        cron text NOT NULL,
        time_zone text NOT NULL DEFAULT 'UTC',
        kind text NOT NULL,
        target text NOT NULL DEFAULT '',
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        next_run_at timestamptz NOT NULL,
        last_run_at timestamptz,
        last_job_id uuid,
        updated_at timestamptz NOT NULL
      );`,
    ],
  },
  {
    // Features number their migrations in ranges of their own (telemetry 100+, database
    // operations 300+, notifications 400+, threats 500+) so branches never collide.
    version: 100,
    name: 'telemetry batches',
    statements: (s) => [
      // What a gateway shipped, stored before it is acknowledged: the log processor reads it from
      // here, so an acknowledged record survives a crash. The key drops a resent batch.
      `
      CREATE TABLE ${s}.telemetry_batches (
        gateway_id text NOT NULL,
        -- The agent's sequence space: a new one when the agent lost its saved state.
        stream text NOT NULL,
        sequence bigint NOT NULL CHECK (sequence >= 0),
        received_at timestamptz NOT NULL,
        entry_count integer NOT NULL CHECK (entry_count >= 0),
        dropped_access bigint NOT NULL DEFAULT 0,
        dropped_security bigint NOT NULL DEFAULT 0,
        -- gateway.worker.v1.LogEntries, protobuf-encoded.
        entries bytea NOT NULL,
        processed_at timestamptz,
        PRIMARY KEY (gateway_id, stream, sequence)
      );`,
      `CREATE INDEX telemetry_batches_unprocessed ON ${s}.telemetry_batches (received_at)
        WHERE processed_at IS NULL;`,
    ],
  },
  {
    version: 500,
    name: 'threat feeds',
    statements: (s) => [
      // Per ThreatFeed: its last attempt, and the list in service with the validators (ETag,
      // Last-Modified) of the download it came from. The leader schedules refreshes from here,
      // so a new leader neither refetches too early nor forgets a failure.
      `
      CREATE TABLE ${s}.threat_feeds (
        feed text PRIMARY KEY,
        -- The ThreatFeed's uid: a feed deleted and created again under its name starts afresh.
        uid text NOT NULL,
        -- Hash of the settings that decide what is downloaded (URL, format, auth header) at the
        -- last attempt; list_source_hash is that of the list in service.
        source_hash text NOT NULL,
        last_attempt_at timestamptz,
        failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        last_reason text,
        last_message text,
        list_version text,
        list_source_hash text,
        etag text,
        last_modified text,
        entries integer,
        reserved_entries integer,
        ranges integer,
        last_refresh_at timestamptz,
        last_change_at timestamptz,
        updated_at timestamptz NOT NULL
      );`,
      // The list in service, as binary range lists (docs/threats.md) in base64: a million ranges
      // are about 11 MB. One row per feed, replaced only when the list changes.
      `
      CREATE TABLE ${s}.threat_feed_lists (
        feed text PRIMARY KEY REFERENCES ${s}.threat_feeds (feed) ON DELETE CASCADE,
        version text NOT NULL,
        v4 text NOT NULL,
        v6 text NOT NULL
      );`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

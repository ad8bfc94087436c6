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
    // Notifications (src/notify, docs/notifications.md): what must survive a restart of the leader.
    version: 400,
    name: 'notifications',
    statements: (s) => [
      // The alert store: one row per alert (fingerprint of its labels), written by any replica's
      // Notifier.emit; the leader's dispatcher reads what changed by revision.
      `CREATE SEQUENCE ${s}.notify_revision;`,
      `
      CREATE TABLE ${s}.notify_alerts (
        fingerprint text PRIMARY KEY,
        source text NOT NULL,
        type text NOT NULL,
        status text NOT NULL CHECK (status IN ('firing', 'resolved')),
        alert jsonb NOT NULL,
        revision bigint NOT NULL,
        updated_at timestamptz NOT NULL
      );`,
      `CREATE INDEX notify_alerts_revision ON ${s}.notify_alerts (revision);`,
      `CREATE INDEX notify_alerts_source ON ${s}.notify_alerts (source) WHERE status = 'firing';`,
      // Aggregation groups (src/domain/notify/grouping.ts): members, next flush.
      `
      CREATE TABLE ${s}.notify_groups (
        group_key text PRIMARY KEY,
        policy text NOT NULL,
        state jsonb NOT NULL,
        next_flush_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );`,
      `CREATE INDEX notify_groups_policy ON ${s}.notify_groups (policy);`,
      // The notification log: what each channel was last told about each group.
      `
      CREATE TABLE ${s}.notify_log (
        group_key text NOT NULL,
        channel text NOT NULL,
        entry jsonb NOT NULL,
        PRIMARY KEY (group_key, channel)
      );`,
      // The outbox: a rendered notification per channel until it is sent or dead (the dead letter).
      `
      CREATE TABLE ${s}.notify_deliveries (
        id bigserial PRIMARY KEY,
        channel text NOT NULL,
        policy text NOT NULL DEFAULT '',
        group_key text NOT NULL DEFAULT '',
        message jsonb NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        created_at timestamptz NOT NULL,
        finished_at timestamptz
      );`,
      `CREATE INDEX notify_deliveries_pending ON ${s}.notify_deliveries (channel, id) WHERE state = 'pending';`,
      `CREATE INDEX notify_deliveries_finished ON ${s}.notify_deliveries (finished_at) WHERE finished_at IS NOT NULL;`,
      // Delivery counts per channel, for its status and across restarts.
      `
      CREATE TABLE ${s}.notify_channel_stats (
        channel text PRIMARY KEY,
        sent bigint NOT NULL DEFAULT 0,
        failed bigint NOT NULL DEFAULT 0,
        retried bigint NOT NULL DEFAULT 0,
        dead bigint NOT NULL DEFAULT 0,
        last_sent_at timestamptz,
        last_failure_at timestamptz,
        last_error text
      );`,
      // Small named positions: the last dead job notified.
      `
      CREATE TABLE ${s}.notify_cursors (
        name text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL
      );`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

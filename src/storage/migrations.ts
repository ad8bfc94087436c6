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
    version: 101,
    name: 'telemetry batches: malformed lines',
    statements: (s) => [
      // Lines the agent could not parse since its previous batch (LogBatch.malformed): with the
      // entries and the dropped counts, every line a gateway wrote is accounted for.
      `ALTER TABLE ${s}.telemetry_batches ADD COLUMN malformed bigint NOT NULL DEFAULT 0;`,
    ],
  },
  {
    // Telemetry rollups (src/telemetry): partitioned by time, so retention drops whole partitions
    // after archiving them; partitions are created as rows arrive (src/telemetry/partition-manager.ts).
    version: 200,
    name: 'telemetry rollups and security events',
    statements: (s) => [
      // One row per minute, host, route, method, status class and gateway; the sketch is
      // DDSketch's protobuf encoding, merged in the processor (SQL cannot merge it).
      `
      CREATE TABLE ${s}.traffic_minute (
        bucket timestamptz NOT NULL,
        host text NOT NULL,
        route text NOT NULL,
        method text NOT NULL,
        status_class text NOT NULL,
        gateway_id text NOT NULL,
        requests bigint NOT NULL,
        errors bigint NOT NULL,
        bytes_in bigint NOT NULL,
        bytes_out bigint NOT NULL,
        latency_sum_ms double precision NOT NULL,
        latency_sketch bytea NOT NULL,
        PRIMARY KEY (bucket, host, route, method, status_class, gateway_id)
      ) PARTITION BY RANGE (bucket);`,
      `CREATE TABLE ${s}.traffic_hour (LIKE ${s}.traffic_minute INCLUDING ALL) PARTITION BY RANGE (bucket);`,
      // Heavy hitters per minute and dimension: a space-saving summary as JSON.
      `
      CREATE TABLE ${s}.top_minute (
        bucket timestamptz NOT NULL,
        dimension text NOT NULL,
        summary jsonb NOT NULL,
        PRIMARY KEY (bucket, dimension)
      ) PARTITION BY RANGE (bucket);`,
      `CREATE TABLE ${s}.top_hour (LIKE ${s}.top_minute INCLUDING ALL) PARTITION BY RANGE (bucket);`,
      `
      CREATE TABLE ${s}.waf_minute (
        bucket timestamptz NOT NULL,
        rule_id text NOT NULL,
        action text NOT NULL,
        host text NOT NULL,
        route text NOT NULL,
        matches bigint NOT NULL,
        PRIMARY KEY (bucket, rule_id, action, host, route)
      ) PARTITION BY RANGE (bucket);`,
      `CREATE TABLE ${s}.waf_hour (LIKE ${s}.waf_minute INCLUDING ALL) PARTITION BY RANGE (bucket);`,
      // What the agents had to drop before shipping (their dropped_* counts), per gateway.
      `
      CREATE TABLE ${s}.drops_minute (
        bucket timestamptz NOT NULL,
        gateway_id text NOT NULL,
        dropped_access bigint NOT NULL,
        dropped_security bigint NOT NULL,
        PRIMARY KEY (bucket, gateway_id)
      ) PARTITION BY RANGE (bucket);`,
      `CREATE TABLE ${s}.drops_hour (LIKE ${s}.drops_minute INCLUDING ALL) PARTITION BY RANGE (bucket);`,
      // One row per WAF match; the key (batch identity and position) makes a reprocessed batch a no-op.
      `
      CREATE TABLE ${s}.security_events (
        occurred_at timestamptz NOT NULL,
        gateway_id text NOT NULL,
        stream text NOT NULL,
        sequence bigint NOT NULL,
        entry_index integer NOT NULL,
        rule_id text NOT NULL,
        rule_description text NOT NULL,
        threat_type text NOT NULL,
        severity text NOT NULL,
        action text NOT NULL,
        client_ip text NOT NULL,
        payload text NOT NULL,
        country text NOT NULL,
        asn text NOT NULL,
        host text NOT NULL,
        uri text NOT NULL,
        method text NOT NULL,
        status_code integer NOT NULL,
        request_id text NOT NULL,
        route text NOT NULL,
        rule_sets text NOT NULL,
        PRIMARY KEY (occurred_at, gateway_id, stream, sequence, entry_index)
      ) PARTITION BY RANGE (occurred_at);`,
      `CREATE INDEX security_events_ip ON ${s}.security_events (client_ip, occurred_at);`,
      // Hours whose minute rollups changed since they were last rolled up into traffic_hour & co.
      `CREATE TABLE ${s}.telemetry_dirty_hours (hour timestamptz PRIMARY KEY);`,
      // Small named values: the downsampling watermark, the audit anchor after retention.
      `
      CREATE TABLE ${s}.telemetry_state (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL
      );`,
      `CREATE INDEX telemetry_batches_processed ON ${s}.telemetry_batches (processed_at)
        WHERE processed_at IS NOT NULL;`,
    ],
  },
  {
    version: 201,
    name: 'audit trail',
    statements: (s) => [
      // Append-only and hash-chained (src/domain/telemetry/audit-chain.ts): previous_hash is
      // unique, so two writers can never both extend the same entry (a fork).
      `
      CREATE TABLE ${s}.audit_log (
        sequence bigint PRIMARY KEY CHECK (sequence >= 1),
        at timestamptz NOT NULL,
        action text NOT NULL,
        actor text NOT NULL,
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        generation bigint NOT NULL,
        summary text NOT NULL,
        -- Canonical JSON as hashed, kept as text so it reads back byte for byte.
        details text NOT NULL,
        previous_hash text NOT NULL UNIQUE,
        hash text NOT NULL
      );`,
      `CREATE INDEX audit_log_at ON ${s}.audit_log (at);`,
      // The last state of each audited resource seen, so a restart tells edits from re-lists and
      // notices deletions made while no leader ran.
      `
      CREATE TABLE ${s}.audit_resources (
        uid text PRIMARY KEY,
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        generation bigint NOT NULL,
        labels text NOT NULL,
        spec text NOT NULL,
        updated_at timestamptz NOT NULL
      );`,
    ],
  },
  {
    version: 300,
    name: 'database operations: runs and backups',
    statements: (s) => [
      // One row per attempt of a database operation's job: what the status of its resource shows.
      `
      CREATE TABLE ${s}.dbops_runs (
        job_id uuid NOT NULL,
        attempt integer NOT NULL,
        -- The resource: DatabaseBackup, namespace, name.
        kind text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        trigger text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        outcome text NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
        reason text NOT NULL DEFAULT '',
        message text NOT NULL DEFAULT '',
        -- What the operation reports: rows archived, the migration failure, findings.
        summary jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (job_id, attempt)
      );`,
      `CREATE INDEX dbops_runs_resource ON ${s}.dbops_runs (kind, namespace, name, started_at DESC);`,
      // The backups stored in the object store (which stays the source of truth: each dump has a
      // manifest beside it), indexed here for status and retention.
      `
      CREATE TABLE ${s}.dbops_backups (
        id text PRIMARY KEY,
        namespace text NOT NULL,
        name text NOT NULL,
        job_id uuid,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        dump_key text NOT NULL,
        size_bytes bigint NOT NULL,
        sha256 text NOT NULL,
        encrypted boolean NOT NULL,
        duration_ms integer NOT NULL,
        verification text NOT NULL CHECK (verification IN ('Verified', 'Failed', 'Skipped')),
        verification_message text NOT NULL DEFAULT '',
        manifest jsonb NOT NULL
      );`,
      `CREATE INDEX dbops_backups_resource ON ${s}.dbops_backups (namespace, name, finished_at DESC);`,
      // A resource's newest job, by the singleton key its runs share.
      `CREATE INDEX jobs_singleton_created ON ${s}.jobs (singleton_key, created_at DESC)
        WHERE singleton_key IS NOT NULL;`,
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
  {
    version: 510,
    name: 'threat decisions and incidents',
    statements: (s) => [
      // One row per (scope, value), ever: a new decision on the same value updates it (merged,
      // never duplicated), and an expired row stays as the offender's history for escalation.
      `
      CREATE TABLE ${s}.threat_decisions (
        scope text NOT NULL CHECK (scope IN ('ip', 'range')),
        value text NOT NULL,
        type text NOT NULL CHECK (type IN ('ban', 'rate_limit')),
        origin text NOT NULL,
        scenario text NOT NULL,
        reason text NOT NULL,
        offences integer NOT NULL DEFAULT 1 CHECK (offences >= 1),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        until timestamptz NOT NULL,
        PRIMARY KEY (scope, value)
      );`,
      `CREATE INDEX threat_decisions_until ON ${s}.threat_decisions (until);`,
      `
      CREATE TABLE ${s}.threat_incidents (
        id bigserial PRIMARY KEY,
        policy text NOT NULL,
        scenario text NOT NULL,
        source text NOT NULL,
        mode text NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        events bigint NOT NULL,
        overflows integer NOT NULL DEFAULT 1,
        -- JSON: sample events, hosts, routes, and the decisions taken (or, in DryRun, that would have been).
        samples text NOT NULL,
        hosts text NOT NULL,
        routes text NOT NULL,
        decisions text NOT NULL
      );`,
      `CREATE INDEX threat_incidents_open ON ${s}.threat_incidents (scenario, source, last_seen);`,
      `CREATE INDEX threat_incidents_last_seen ON ${s}.threat_incidents (last_seen);`,
    ],
  },
  {
    // Daily traffic rollups (issue 16): a 30-day report over thousands of routes read every
    // hourly row of the window; whole days now come from one row per key and day.
    version: 520,
    name: 'telemetry daily rollups',
    statements: (s) => [
      // Recomputed from the day's hourly rows by the downsampling, once every hour of it is
      // rolled up (src/telemetry/day-rollup.ts); monthly partitions, like the hourly table.
      `CREATE TABLE ${s}.traffic_day (LIKE ${s}.traffic_hour INCLUDING ALL) PARTITION BY RANGE (bucket);`,
      // Days whose hourly rows changed since the day was last recomputed: queries read no day
      // from traffic_day at or after the oldest of them.
      `CREATE TABLE ${s}.telemetry_dirty_days (day timestamptz PRIMARY KEY);`,
      // Every day that may have hourly rows, to two days ahead: the days of the hours rolled up
      // before this version, and those a previous version still rolls up during a rolling
      // upgrade (it does not mark days) are all recomputed once complete. min() reads the index.
      `
      INSERT INTO ${s}.telemetry_dirty_days (day)
      SELECT generate_series(
               date_trunc('day', first.bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
               now() + interval '48 hours', interval '24 hours')
        FROM (SELECT min(bucket) AS bucket FROM ${s}.traffic_hour) first
       WHERE first.bucket IS NOT NULL;`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

// Numbered migrations for the PostgreSQL store, applied under an advisory lock so that replicas starting at once
// apply each exactly once. A migration is never edited once released; add the next one (a new column is one
// more ALTER TABLE events ..., which reaches every partition).
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/** The advisory lock key the migrations and partition changes take: any constant unlikely to clash. */
export const SCHEMA_LOCK_KEY = 7_306_911_500_015;

export const POSTGRES_MIGRATIONS: PostgresMigration[] = [
  {
    version: 1,
    description: 'events partitioned by time, request uids, per-hour activity, resource kinds',
    sql: `
      CREATE SEQUENCE events_id_seq AS bigint;
      -- Partitioned by time_ms (one partition a day, created ahead), so retention by age drops whole partitions.
      CREATE TABLE events (
        id bigint NOT NULL DEFAULT nextval('events_id_seq'),
        time_ms bigint NOT NULL,
        request_uid text NOT NULL,
        operation text NOT NULL,
        username text NOT NULL,
        user_uid text NOT NULL,
        user_groups jsonb NOT NULL,
        user_extra text NOT NULL,
        api_group text NOT NULL,
        api_version text NOT NULL,
        kind text NOT NULL,
        resource text NOT NULL,
        subresource text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        object_uid text NOT NULL,
        field_manager text NOT NULL,
        -- zstd-compressed JSON {"patch": [...], "object": {...}}, with the dictionary body_dictionary names
        body bytea NOT NULL,
        body_dictionary smallint NOT NULL,
        denied_by text NOT NULL DEFAULT '',
        PRIMARY KEY (id, time_ms)
      ) PARTITION BY RANGE (time_ms);
      ALTER SEQUENCE events_id_seq OWNED BY events.id;
      CREATE INDEX events_by_object ON events (api_group, kind, namespace, name, id);
      CREATE INDEX events_by_name ON events (kind, namespace, name);
      CREATE INDEX events_by_namespace ON events (namespace, id);
      CREATE INDEX events_by_user ON events (username, id);
      CREATE INDEX events_by_time ON events (time_ms);
      CREATE INDEX events_by_user_group ON events USING gin (user_groups jsonb_path_ops);
      -- A unique index on a partitioned table must hold the partition key, and a retried review arrives at
      -- another time: the uids that were stored live in a table of their own.
      CREATE TABLE request_uids (
        request_uid text PRIMARY KEY,
        time_ms bigint NOT NULL
      );
      CREATE INDEX request_uids_by_time ON request_uids (time_ms);
      CREATE TABLE activity (
        namespace text NOT NULL,
        username text NOT NULL,
        hour bigint NOT NULL,
        changes bigint NOT NULL,
        PRIMARY KEY (namespace, username, hour)
      );
      CREATE TABLE resource_kinds (
        api_group text NOT NULL,
        resource text NOT NULL,
        kind text NOT NULL,
        PRIMARY KEY (api_group, resource)
      );
    `,
  },
  {
    version: 2,
    description: 'how far `logistis migrate` has copied each source store, so a copy resumes',
    sql: `
      CREATE TABLE copy_checkpoints (
        source text PRIMARY KEY,
        last_id bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    description: 'provenance: each event\'s state and when it changed, the author guess of unattributed changes, the watched objects\' last known content hashes',
    // As SQLite migration 5; state '' = recorded without --provenance. Indexes on the parent reach every day
    // partition, present and future. events_undecided finds by request uid the few events a state change may
    // still move (events has no request uid index; pending ones are short-lived, not-applied ones rare).
    sql: `
      ALTER TABLE events ADD COLUMN state text NOT NULL DEFAULT '';
      ALTER TABLE events ADD COLUMN state_changed_ms bigint NOT NULL DEFAULT 0;
      ALTER TABLE events ADD COLUMN author_guess text NOT NULL DEFAULT '';
      CREATE INDEX events_pending ON events (time_ms) WHERE state = 'pending';
      CREATE INDEX events_undecided ON events (request_uid) WHERE state IN ('pending', 'not-applied');
      CREATE TABLE object_states (
        resource text NOT NULL,
        namespace text NOT NULL,
        name text NOT NULL,
        object_uid text NOT NULL,
        content_hash text NOT NULL,
        resource_version text NOT NULL,
        seen_ms bigint NOT NULL,
        PRIMARY KEY (resource, namespace, name)
      );
    `,
  },
  {
    version: 4,
    description: 'the dashboard\'s overview counted from an index: events_activity holds the columns it groups by, events_denied the denials',
    // As SQLite migration 7: the overview's aggregates run as index-only scans (once a partition is vacuumed), so no
    // body is read; events_activity leads with time_ms and replaces events_by_time.
    sql: `
      CREATE INDEX events_activity ON events (time_ms) INCLUDE (namespace, username, api_group, kind, name);
      DROP INDEX events_by_time;
      CREATE INDEX events_denied ON events (time_ms) WHERE denied_by <> '';
    `,
  },
  {
    version: 5,
    description: 'the commit logs\' cursors: how far each replica\'s log is stored, written by the statement that stores the records',
    // As SQLite migration 8: one row per replica's log (its id is random per log directory).
    sql: `
      CREATE TABLE log_cursors (
        log_id text PRIMARY KEY,
        position bigint NOT NULL
      );
    `,
  },
];

// Numbered migrations for the embedded store. A migration is never edited once released; add the next one.
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'events, per-hour activity for the overview',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        request_uid TEXT NOT NULL,
        operation TEXT NOT NULL,
        username TEXT NOT NULL,
        user_uid TEXT NOT NULL,
        user_groups TEXT NOT NULL,
        user_extra TEXT NOT NULL,
        api_group TEXT NOT NULL,
        api_version TEXT NOT NULL,
        kind TEXT NOT NULL,
        resource TEXT NOT NULL,
        subresource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        object_uid TEXT NOT NULL,
        field_manager TEXT NOT NULL,
        -- zstd-compressed JSON {"patch": [...], "object": {...}}
        body BLOB NOT NULL
      );
      CREATE INDEX events_by_object ON events (api_group, kind, namespace, name, id);
      CREATE INDEX events_by_namespace ON events (namespace, id);
      CREATE INDEX events_by_user ON events (username, id);
      CREATE INDEX events_by_time ON events (time_ms);
      CREATE TABLE activity (
        namespace TEXT NOT NULL,
        username TEXT NOT NULL,
        hour INTEGER NOT NULL,
        changes INTEGER NOT NULL,
        PRIMARY KEY (namespace, username, hour)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'event bodies compressed with a zstd dictionary',
    sql: 'ALTER TABLE events ADD COLUMN body_dictionary INTEGER NOT NULL DEFAULT 0;',
  },
  {
    version: 3,
    description: 'one event per admission request: a retried review (same request uid) is stored once',
    // Duplicates written before this migration go first (the oldest row of each request uid stays), and the
    // per-hour activity counts they added with them.
    sql: `
      CREATE TEMP TABLE duplicate_events AS
        SELECT id, namespace, username, time_ms / 3600000 AS hour FROM events
        WHERE id NOT IN (SELECT MIN(id) FROM events GROUP BY request_uid);
      UPDATE activity SET changes = changes - (
        SELECT COUNT(*) FROM duplicate_events AS d
        WHERE d.namespace = activity.namespace AND d.username = activity.username AND d.hour = activity.hour)
      WHERE EXISTS (
        SELECT 1 FROM duplicate_events AS d
        WHERE d.namespace = activity.namespace AND d.username = activity.username AND d.hour = activity.hour);
      DELETE FROM activity WHERE changes <= 0;
      DELETE FROM events WHERE id IN (SELECT id FROM duplicate_events);
      DROP TABLE duplicate_events;
        CREATE UNIQUE INDEX events_by_request_uid ON events (request_uid);
    `,
  },
  {
    version: 4,
    description: 'attempts denied by a Lock: the Lock\'s name, empty for changes that were allowed',
    sql: "ALTER TABLE events ADD COLUMN denied_by TEXT NOT NULL DEFAULT '';",
  },
  {
    version: 5,
    description: 'provenance: each event\'s state and when it changed, the author guess of unattributed changes, the watched objects\' last known content hashes',
    // state '' = recorded before provenance or without --provenance. events_pending serves "pending older than X"
    // and the oldest pending event's age; object_states is what a restarted server compares a fresh list with.
    sql: `
      ALTER TABLE events ADD COLUMN state TEXT NOT NULL DEFAULT '';
      ALTER TABLE events ADD COLUMN state_changed_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE events ADD COLUMN author_guess TEXT NOT NULL DEFAULT '';
      CREATE INDEX events_pending ON events (time_ms) WHERE state = 'pending';
      CREATE TABLE object_states (
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        object_uid TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        resource_version TEXT NOT NULL,
        seen_ms INTEGER NOT NULL,
        PRIMARY KEY (resource, namespace, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'retried reviews are found among the recent request uids the writer keeps; provenance finds undecided events by request uid',
    // The unique index dirtied a random page per insert (the API server's uids are random) and grew with the store;
    // the writer now remembers recent uids itself (recent-uids.ts). Only undecided events are looked up by uid.
    sql: `
      DROP INDEX events_by_request_uid;
      CREATE INDEX events_undecided ON events (request_uid) WHERE state IN ('pending', 'not-applied');
    `,
  },
  {
    version: 7,
    description: 'the dashboard\'s overview counted from an index: events_activity holds the columns it groups by, events_denied the denials',
    // events_activity starts with time_ms, so it also serves every read events_by_time served, which goes. The overview
    // reads only these indexes: no table row, so no body, is touched, whatever the bodies' size.
    sql: `
      CREATE INDEX events_activity ON events (time_ms, namespace, username, api_group, kind, name);
      DROP INDEX events_by_time;
      CREATE INDEX events_denied ON events (time_ms) WHERE denied_by <> '';
    `,
  },
  {
    version: 8,
    description: 'the commit log\'s cursor: how far each log\'s records are stored, written in the transaction that stores them',
    // One row per commit log (its id is random per log directory); a replay after a crash starts here, so no record is
    // stored twice whatever the request uid window (docs/adr/0029-commit-log.md).
    sql: `
      CREATE TABLE log_cursors (
        log_id TEXT PRIMARY KEY,
        position INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

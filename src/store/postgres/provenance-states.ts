// Provenance's writes on PostgreSQL: events moved out of pending, and the watched objects' last known states.
import type pg from 'pg';
import { StoreError, type EventStateChange, type ObjectState, type ObjectStateKey } from '../types.ts';

/**
 * As on SQLite: pending moves to confirmed or not-applied, and a late confirmation still overrides not-applied.
 * The events are found through the small partial index events_undecided, not by scanning every partition.
 */
export async function setEventStates(pool: pg.Pool, changes: EventStateChange[]): Promise<number> {
  // One statement updates a row once: per uid, the change that applied one after another would leave behind
  // (the first confirmation, else the first not-applied).
  const decisive = new Map<string, EventStateChange>();
  for (const change of changes) {
    const known = decisive.get(change.requestUid);
    if (!known || (known.state !== 'confirmed' && change.state === 'confirmed')) decisive.set(change.requestUid, change);
  }
  const chosen = [...decisive.values()];
  try {
    const result = await pool.query(`
      UPDATE events AS e SET state = c.state, state_changed_ms = c.at_ms
      FROM unnest($1::text[], $2::text[], $3::bigint[]) AS c(request_uid, state, at_ms)
      WHERE e.request_uid = c.request_uid AND e.state IN ('pending', 'not-applied')
        AND (e.state = 'pending' OR c.state = 'confirmed')`,
    [chosen.map((change) => change.requestUid), chosen.map((change) => change.state), chosen.map((change) => change.atMs)]);
    return result.rowCount ?? 0;
  } catch (error) {
    throw new StoreError(`state update failed: ${(error as Error).message}`);
  }
}

export async function saveObjectStates(pool: pg.Pool, states: ObjectState[], deleted: ObjectStateKey[]): Promise<void> {
  // An upsert may touch a row once per statement: the last state given for a key wins.
  const byKey = new Map(states.map((state) => [`${state.resource}\u0000${state.namespace}\u0000${state.name}`, state]));
  // In key order, so two writers (one server per store is the rule, but a rollout overlaps) lock rows in one order.
  const upserts = [...byKey.keys()].sort().map((key) => byKey.get(key)!);
  const field = <K extends keyof ObjectState>(list: ObjectState[], key: K) => list.map((state) => state[key]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (upserts.length > 0) {
      await client.query(`
        INSERT INTO object_states (resource, namespace, name, object_uid, content_hash, resource_version, seen_ms)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
        ON CONFLICT (resource, namespace, name) DO UPDATE SET object_uid = excluded.object_uid,
          content_hash = excluded.content_hash, resource_version = excluded.resource_version, seen_ms = excluded.seen_ms`,
      [field(upserts, 'resource'), field(upserts, 'namespace'), field(upserts, 'name'), field(upserts, 'uid'), field(upserts, 'hash'),
        field(upserts, 'resourceVersion'), field(upserts, 'seenMs')]);
    }
    if (deleted.length > 0) {
      await client.query(`
        DELETE FROM object_states AS o USING unnest($1::text[], $2::text[], $3::text[]) AS d(resource, namespace, name)
        WHERE o.resource = d.resource AND o.namespace = d.namespace AND o.name = d.name`,
      [deleted.map((key) => key.resource), deleted.map((key) => key.namespace), deleted.map((key) => key.name)]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new StoreError(`saving object states failed: ${(error as Error).message}`);
  } finally {
    client.release();
  }
}

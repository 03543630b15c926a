// `logistis rules test --from-store`: a store's recorded events replayed through the rules, as the reviews that
// made them, by the real command on a real SQLite store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewChangeEvent } from '../../src/event.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/logistis.ts');
const run = (args: string[]) => spawnSync(process.execPath, [ENTRY, 'rules', 'test', ...args], { encoding: 'utf8', timeout: 20_000, cwd: ROOT });

function configMapEvent(uid: string, username: string, minute: number, data: Record<string, string>, operation: 'CREATE' | 'UPDATE'): NewChangeEvent {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'team' }, data };
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), requestUid: uid, operation,
    user: { username, uid: '', groups: ['system:authenticated'], extra: {} },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'team', name: 'app',
    objectUid: 'cm-1', fieldManager: '', patch: [], object,
  };
}

describe('logistis rules test --from-store', () => {
  it('replays the newest events, with the object before each update, and says which rule decided', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-rules-store-'));
    try {
      const dbPath = join(dir, 'events.db');
      const store = await SqliteEventStore.open(dbPath, { maxEventsPerObject: 100, maxAgeMs: 86_400_000 * 365 * 10 });
      await store.append([configMapEvent('a-1', 'alice', 1, { level: 'info' }, 'CREATE')]);
      await store.append([configMapEvent('c-1', 'system:serviceaccount:kube-system:configmap-writer', 2, { level: 'debug' }, 'UPDATE')]);
      await store.append([configMapEvent('a-2', 'alice', 3, { level: 'warn' }, 'UPDATE')]);
      await store.close();
      const rules = join(dir, 'rules.yaml');
      // Skips an update only when it really changed `level` from debug: needs the right oldObject.
      writeFileSync(rules, "rules:\n  - name: from-debug\n    action: exclude\n    expression: \"oldObject != null && oldObject.data.level == 'debug'\"\n");
      const result = run(['--from-store', `sqlite:${dbPath}`, '--rules', rules]);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[1]!, /^event 1\s+keep\s+\(default\)\s+CREATE configmaps team\/app by alice$/);
      assert.match(lines[2]!, /^event 2\s+skip\s+system-controllers\s+UPDATE configmaps team\/app by system:serviceaccount:kube-system:configmap-writer$/);
      assert.match(lines[3]!, /^event 3\s+skip\s+from-debug\s+UPDATE configmaps team\/app by alice$/);
      assert.equal(lines.at(-1), '1 of 3 would be recorded');
      const limited = run(['--from-store', `sqlite:${dbPath}`, '--limit', '1']);
      assert.equal(limited.status, 0, limited.stderr);
      assert.match(limited.stdout, /^event 3\s+keep/m);
      assert.doesNotMatch(limited.stdout, /^event 1/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing store, a bad limit, and files together with --from-store, with a clear message', () => {
    assert.match(run(['--from-store', 'sqlite:/nonexistent/events.db']).stderr, /--from-store: \/nonexistent\/events.db: no such file/);
    assert.match(run(['--from-store', 'sqlite:x.db', '--limit', '0']).stderr, /--limit: must be a positive whole number/);
    assert.match(run(['--from-store', 'sqlite:x.db', 'test/fixtures/admission']).stderr, /either review files or --from-store/);
    assert.match(run([]).stderr, /or --from-store sqlite:PATH/);
  });
});

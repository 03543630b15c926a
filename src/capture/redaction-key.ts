// The per-installation HMAC key for Secret fingerprints. Kept in its own file (a Kubernetes Secret in a cluster),
// never in the event store, so a copy of the database alone cannot be used to guess values.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const MIN_KEY_BYTES = 32;

export function loadOrCreateRedactionKey(path: string): { key: Buffer; created: boolean } {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`--redaction-key-file: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  if (text !== undefined) {
    const key = Buffer.from(text, 'utf8');
    if (key.length < MIN_KEY_BYTES) throw new Error(`--redaction-key-file: ${path} holds ${key.length} bytes; use at least ${MIN_KEY_BYTES} random bytes`);
    return { key, created: false };
  }
  mkdirSync(dirname(path), { recursive: true });
  const generated = randomBytes(MIN_KEY_BYTES).toString('base64');
  writeFileSync(path, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  return { key: Buffer.from(generated, 'utf8'), created: true };
}

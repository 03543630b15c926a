// `npm install -g` of the packed package puts kubectl-blame, kubectl-logistis and logistis on PATH.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the npm package', () => {
  it('installs globally with the plugin on PATH', { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-pack-'));
    try {
      // The node running this test (Node 24 from devDependencies) first on PATH, as a user's own node would be.
      const env = { ...process.env, PATH: `${join(dir, 'prefix', 'bin')}:${dirname(process.execPath)}:${process.env['PATH']}` };
      execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env, stdio: 'ignore' });
      const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))!;
      execFileSync('npm', ['install', '-g', '--prefix', join(dir, 'prefix'), '--no-audit', '--no-fund', join(dir, tarball)], { env, stdio: 'ignore' });
      assert.deepEqual(readdirSync(join(dir, 'prefix', 'bin')).sort(), ['kubectl-blame', 'kubectl-logistis', 'logistis']);
      for (const command of ['kubectl-blame', 'kubectl-logistis']) {
        const help = execFileSync(command, ['--help'], { env, encoding: 'utf8' });
        assert.match(help, /Usage: kubectl (blame|logistis)/);
      }
      assert.match(execFileSync('logistis', ['serve', '--help'], { env, encoding: 'utf8' }), /--tls-cert-file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

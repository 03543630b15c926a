import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { testCertificate } from '../../harness/tls.ts';
import { freePort, startServer } from '../../harness/server-process.ts';

const ENTRY = fileURLToPath(new URL('../../src/cli/logistis.ts', import.meta.url));

function runCli(args: string[]) {
  return spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8', timeout: 20_000 });
}

function servedCertificate(port: number): Promise<string> {
  return new Promise((resolveCert, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolveCert(fingerprint);
    });
    socket.on('error', reject);
  });
}

describe('logistis serve on the command line', () => {
  it('stops on an unknown flag, naming it', () => {
    const result = runCli(['serve', '--max-evnts', '3']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown option '--max-evnts'/);
  });

  it('stops on a bad value, naming the flag', () => {
    const result = runCli(['serve', '--tls-cert-file', 'a', '--tls-key-file', 'b', '--max-body-bytes', 'lots']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^logistis: --max-body-bytes: must be a size/m);
  });

  it('stops on a bad capture rule before starting, with the rule, its position and the message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-rules-'));
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  - name: skip-bots\n    action: exclude\n    expression: "request.userInfo.username.startsWith(\'bot-\') && objct.kind == \'Pod\'"\n');
    const store = join(dir, 'events.db');
    const result = runCli(['serve', '--tls-cert-file', '/nonexistent/tls.crt', '--tls-key-file', '/nonexistent/tls.key', '--store', `sqlite:${store}`, '--rules', rules]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^logistis: --rules: rules file .*rules\.yaml: rule "skip-bots": line 1, column 49: undeclared reference "objct"/m);
    assert.ok(!existsSync(store), 'nothing was started');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops when the certificate cannot be read, naming the flag', () => {
    const result = runCli(['serve', '--tls-cert-file', '/nonexistent/tls.crt', '--tls-key-file', '/nonexistent/tls.key', '--store', `sqlite:${join(tmpdir(), 'unused.db')}`]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--tls-cert-file: cannot read \/nonexistent\/tls.crt/);
  });

  it('picks up a rotated certificate without a restart, on the main and the capture listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-rotate-'));
    const first = await testCertificate(mkdtempSync(join(dir, 'a-')));
    const second = await testCertificate(mkdtempSync(join(dir, 'b-')));
    const live = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    const capturePort = await freePort();
    const server = await startServer([
      '--tls-cert-file', live.certFile, '--tls-key-file', live.keyFile, '--store', `sqlite:${join(dir, 'events.db')}`, '--auth', 'none',
      '--capture-listen', `127.0.0.1:${capturePort}`,
    ], { caFile: first.caFile });
    try {
      const before = await servedCertificate(server.port);
      assert.equal(await servedCertificate(capturePort), before);
      copyFileSync(second.keyFile, live.keyFile);
      copyFileSync(second.certFile, live.certFile);
      let after = before;
      for (let attempt = 0; attempt < 50 && after === before; attempt++) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
        after = await servedCertificate(server.port);
      }
      assert.notEqual(after, before, 'the new certificate is served');
      assert.equal(await servedCertificate(capturePort), after, 'the capture listener serves the new certificate too');
      assert.match(server.output(), /TLS certificate reloaded/);
      assert.ok(readFileSync(live.certFile).length > 0);
    } finally {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

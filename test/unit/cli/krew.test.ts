// The krew manifest stays installable: krew's own rules (name = file name, a v-prefixed semver, 64-hex sha256,
// os/arch selectors, files to extract) and ours (the binary it names exists, placeholders are marked).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const ROOT = new URL('../../../', import.meta.url);
const FILE = new URL('deploy/krew/logistis.yaml', ROOT);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    shortDescription: string;
    description: string;
    caveats?: string;
    platforms: { selector: { matchExpressions?: { key: string; operator: string; values: string[] }[] }; uri: string; sha256: string; files: { from: string; to: string }[]; bin: string }[];
  };
}

describe('deploy/krew/logistis.yaml', () => {
  const text = readFileSync(FILE, 'utf8');
  const manifest = parse(text) as Manifest;
  it('is a krew Plugin named as its file, not `blame` (taken in the krew index)', () => {
    assert.equal(manifest.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2');
    assert.equal(manifest.kind, 'Plugin');
    assert.equal(manifest.metadata.name, 'logistis');
    assert.match(manifest.spec.version, /^v\d+\.\d+\.\d+$/);
    assert.ok(manifest.spec.shortDescription.length <= 50);
    assert.ok(manifest.spec.description.length > 0);
  });
  it('installs bin/kubectl-logistis, which exists, on Linux and macOS', () => {
    const [platform] = manifest.spec.platforms;
    assert.ok(platform);
    assert.deepEqual(platform.selector.matchExpressions, [{ key: 'os', operator: 'In', values: ['linux', 'darwin'] }]);
    assert.equal(platform.bin, 'bin/kubectl-logistis');
    assert.ok(existsSync(new URL(platform.bin, ROOT)));
    assert.deepEqual(platform.files, [{ from: 'kubectl-logistis/*', to: '.' }]);
    assert.match(platform.sha256, /^[0-9a-f]{64}$/);
    assert.match(platform.uri, /\.tar\.gz$/);
  });
  it('marks what the release fills in', () => {
    for (const field of ['version:', 'uri:', 'sha256:', 'homepage:']) {
      assert.match(text, new RegExp(`^\\s*(- )?${field}.*# FILLED AT RELEASE`, 'm'), field);
    }
    assert.match(manifest.spec.caveats ?? '', /Node\.js 24/);
    assert.match(manifest.spec.caveats ?? '', /logistis-viewer/);
  });
});

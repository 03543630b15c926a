// Tools built at bench time from Go modules into a cache outside the clone, keyed by version:
// ~/.cache/logistis/bench/<tool>-<version>/. Nothing of theirs is committed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from './proc.ts';

export const CACHE_ROOT = process.env['LOGISTIS_CACHE'] ?? join(homedir(), '.cache', 'logistis');
export const BENCH_CACHE = join(CACHE_ROOT, 'bench');

export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12';
export const VEGETA_VERSION = process.env['VEGETA_VERSION'] ?? 'v12.13.0';
export const PEER_MODULE = 'github.com/RichardoC/kube-audit-rest';
export const PEER_PACKAGE = `${PEER_MODULE}/cmd/kube-audit-rest`;

export interface Tool {
  bin: string;
  version: string;
  /** How it was obtained, for RESULTS.md. */
  provenance: string;
}

export type ToolResult = Tool | { unavailable: string };

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOMODCACHE: process.env['GOMODCACHE'] ?? join(CACHE_ROOT, 'gomodcache'),
  };
}

async function haveGo(): Promise<boolean> {
  try {
    await run('go', ['version'], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /403|404|410|not available|not found|unknown revision/i.test(l)) ?? lines[0] ?? text).slice(0, 300);
}

/** vegeta, the constant-rate (open-loop) load generator, built with `go install` from the module proxy. */
export async function ensureVegeta(log: (msg: string) => void): Promise<ToolResult> {
  const dir = join(BENCH_CACHE, `vegeta-${VEGETA_VERSION}`);
  const bin = join(dir, 'vegeta');
  const provenance = `go install ${VEGETA_MODULE}@${VEGETA_VERSION}`;
  if (existsSync(bin)) return { bin, version: VEGETA_VERSION, provenance };
  if (!(await haveGo())) return { unavailable: 'Go is not installed (needed to build vegeta)' };
  log(`building vegeta ${VEGETA_VERSION} into ${dir} (once)`);
  mkdirSync(dir, { recursive: true });
  try {
    await run('go', ['install', `${VEGETA_MODULE}@${VEGETA_VERSION}`], { env: { ...goEnv(), GOBIN: dir }, cwd: dir, timeoutMs: 600_000 });
  } catch (error) {
    return { unavailable: `could not build vegeta: ${firstLine(error)}` };
  }
  return { bin, version: VEGETA_VERSION, provenance };
}

function peerDir(version: string): string {
  return join(BENCH_CACHE, `kube-audit-rest-${version}`);
}

function writeProvenance(dir: string, provenance: string): void {
  writeFileSync(join(dir, 'PROVENANCE.txt'), provenance + '\n');
}

function cachedPeers(): Tool[] {
  if (!existsSync(BENCH_CACHE)) return [];
  return readdirSync(BENCH_CACHE)
    .filter((entry) => entry.startsWith('kube-audit-rest-') && existsSync(join(BENCH_CACHE, entry, 'kube-audit-rest')))
    .map((entry) => {
      const dir = join(BENCH_CACHE, entry);
      const provenanceFile = join(dir, 'PROVENANCE.txt');
      return {
        bin: join(dir, 'kube-audit-rest'),
        version: entry.slice('kube-audit-rest-'.length),
        provenance: existsSync(provenanceFile) ? readFileSync(provenanceFile, 'utf8').trim() : 'cached build',
        mtime: statSync(join(dir, 'kube-audit-rest')).mtimeMs,
      };
    })
    .sort((a, b) => b.mtime - a.mtime)
    .map(({ bin, version, provenance }) => ({ bin, version, provenance }));
}

/**
 * kube-audit-rest, the peer. In order:
 *  1. the module proxy: resolve KUBE_AUDIT_REST_VERSION (default latest) and `go install` it into the cache;
 *  2. when the proxy will not serve it: a build already in the cache (its PROVENANCE.txt says where it came from);
 *  3. KUBE_AUDIT_REST_SRC, a source checkout outside the clone, built with `go build` into the cache;
 *  4. otherwise unavailable, with the reason.
 */
export async function ensurePeer(log: (msg: string) => void): Promise<ToolResult> {
  const wanted = process.env['KUBE_AUDIT_REST_VERSION'] ?? 'latest';
  if (!(await haveGo())) {
    return cachedPeers()[0] ?? { unavailable: 'Go is not installed (needed to build kube-audit-rest)' };
  }
  let proxyError = '';
  try {
    const { stdout } = await run('go', ['list', '-m', '-json', `${PEER_MODULE}@${wanted}`], { env: goEnv(), cwd: benchCacheDir(), timeoutMs: 60_000 });
    const version = (JSON.parse(stdout) as { Version: string }).Version;
    const dir = peerDir(version);
    const bin = join(dir, 'kube-audit-rest');
    const provenance = `go install ${PEER_PACKAGE}@${version} (module proxy)`;
    if (!existsSync(bin)) {
      log(`building kube-audit-rest ${version} into ${dir} (once)`);
      mkdirSync(dir, { recursive: true });
      await run('go', ['install', `${PEER_PACKAGE}@${version}`], { env: { ...goEnv(), GOBIN: dir }, cwd: dir, timeoutMs: 600_000 });
      writeProvenance(dir, provenance);
    }
    return { bin, version, provenance };
  } catch (error) {
    proxyError = firstLine(error);
  }
  const cached = cachedPeers()[0];
  if (cached) return { ...cached, provenance: `${cached.provenance}; the module proxy refused it this run: ${proxyError}` };
  const src = process.env['KUBE_AUDIT_REST_SRC'];
  if (src) {
    const version = process.env['KUBE_AUDIT_REST_VERSION'] ?? 'src';
    const dir = peerDir(version);
    const provenance = `go build ./cmd/kube-audit-rest from the checkout in KUBE_AUDIT_REST_SRC (${version}); dependencies from the module proxy`;
    try {
      mkdirSync(dir, { recursive: true });
      log(`building kube-audit-rest from ${src} into ${dir}`);
      await run('go', ['build', '-trimpath', '-o', join(dir, 'kube-audit-rest'), './cmd/kube-audit-rest'], { env: goEnv(), cwd: src, timeoutMs: 600_000 });
      writeProvenance(dir, provenance);
      return { bin: join(dir, 'kube-audit-rest'), version, provenance };
    } catch (error) {
      return { unavailable: `could not build kube-audit-rest from ${src}: ${firstLine(error)}` };
    }
  }
  return { unavailable: `the Go module proxy does not serve ${PEER_MODULE} here (${proxyError}); set KUBE_AUDIT_REST_SRC to a source checkout to build it` };
}

function benchCacheDir(): string {
  mkdirSync(BENCH_CACHE, { recursive: true });
  return BENCH_CACHE;
}

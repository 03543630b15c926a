// The kubeconfigs kubectl-blame can use without @kubernetes/client-node: one file, a bearer token or client
// certificate, a CA. Loading client-node costs about half a second of the plugin's start (its generated API
// models load with its KubeConfig, ADR 0024), so the common kubeconfig is read here and everything else (exec
// plugins, auth providers, several files in KUBECONFIG, proxies, impersonation, in-cluster) is left to
// client-node: `readPlainKubeConfig` answers null for them, never a guess.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, delimiter, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { Connection } from './options.ts';

/** What a request to the API server needs: where, and the TLS options and headers that authenticate it. */
export interface PlainKubeConfig {
  server: string;
  contextName: string;
  namespace: string | undefined;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; servername?: string };
  headers: Record<string, string>;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function byName(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry: unknown = list.find((item) => record(item)?.['name'] === name);
  return record(record(entry)?.[field]);
}

/** Only fields this reader understands: any other one (exec, auth-provider, as, proxy-url, …) may change the request. */
const USER_FIELDS = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);

function onlyKnown(entry: Record<string, unknown>, known: Set<string>): boolean {
  return Object.keys(entry).every((key) => known.has(key));
}

/** The kubeconfig file kubectl would read, or null when that is not one file. */
function kubeconfigPath(connection: Connection, env: NodeJS.ProcessEnv): string | null {
  if (connection.kubeconfig) return connection.kubeconfig;
  const fromEnv = env['KUBECONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const files = fromEnv.split(delimiter).filter((file) => file !== '');
    return files.length === 1 ? files[0]! : null;
  }
  const home = env['HOME'] ?? homedir();
  return join(home, '.kube', 'config');
}

/**
 * The connection of a kubeconfig this reader understands whole, or null: then client-node reads it. Throws only
 * for what would fail either way (a file named by --kubeconfig that cannot be read is left to client-node too).
 */
export function readPlainKubeConfig(connection: Connection, env: NodeJS.ProcessEnv = process.env): PlainKubeConfig | null {
  const path = kubeconfigPath(connection, env);
  if (path === null) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  let config: Record<string, unknown> | undefined;
  try {
    config = record(parse(text));
  } catch {
    return null;
  }
  if (!config) return null;
  const contextName = connection.context ?? (typeof config['current-context'] === 'string' ? config['current-context'] : undefined);
  if (!contextName) return null;
  const context = byName(config['contexts'], contextName, 'context');
  const clusterName = context?.['cluster'];
  const userName = context?.['user'];
  if (!context || typeof clusterName !== 'string') return null;
  const cluster = byName(config['clusters'], clusterName, 'cluster');
  const user = typeof userName === 'string' ? byName(config['users'], userName, 'user') : {};
  if (!user) return null;
  if (!cluster || typeof cluster['server'] !== 'string' || !onlyKnown(cluster, CLUSTER_FIELDS) || !onlyKnown(user, USER_FIELDS)) return null;
  const base = dirname(path);
  const file = (value: unknown): Buffer | undefined => (typeof value === 'string' && value !== '' ? readFileSync(isAbsolute(value) ? value : join(base, value)) : undefined);
  const data = (value: unknown): Buffer | undefined => (typeof value === 'string' && value !== '' ? Buffer.from(value, 'base64') : undefined);
  const tls: PlainKubeConfig['tls'] = { rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true };
  const ca = data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
  const cert = data(user['client-certificate-data']) ?? file(user['client-certificate']);
  const key = data(user['client-key-data']) ?? file(user['client-key']);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];
  const token = typeof user['token'] === 'string' ? user['token'] : file(user['tokenFile'])?.toString('utf8').trim();
  const namespace = typeof context['namespace'] === 'string' ? context['namespace'] : undefined;
  return { server: cluster['server'], contextName, namespace, tls, headers: token ? { authorization: `Bearer ${token}` } : {} };
}

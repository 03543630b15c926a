// Reads the labels of a subresource's parent object (the Deployment of a Scale, the Pod of an Eviction) from the
// API server, for a selector Lock to match (ADR 0019). A consistent GET of its metadata only, bounded by a short
// timeout so the webhook answers within its own budget; any failure comes back as the reason, never thrown.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject } from '../event.ts';
import { labelsOf, type ParentLabels } from './match.ts';

/** Well inside the webhook's default 5 s timeout, which also covers the Lock check and the store's commit. */
export const PARENT_LABELS_TIMEOUT_MS = 2_000;

/** Only metadata: the parent may be large, and its content is none of the Lock check's business. */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** The parent object's path, e.g. /apis/apps/v1/namespaces/shop/deployments/web. */
export function parentPath(request: AdmissionRequest): string {
  const { group, version, resource } = request.resource;
  const base = group ? `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}` : `/api/${encodeURIComponent(version)}`;
  const namespace = request.namespace ? `/namespaces/${encodeURIComponent(request.namespace)}` : '';
  return `${base}${namespace}/${encodeURIComponent(resource)}/${encodeURIComponent(request.name)}`;
}

function parsedObject(text: string): JsonObject | null {
  const parsed: unknown = JSON.parse(text);
  return isObject(parsed) ? parsed : null;
}

export async function readParentLabels(kubeConfig: KubeConfig, request: AdmissionRequest, timeoutMs = PARENT_LABELS_TIMEOUT_MS): Promise<ParentLabels> {
  const path = parentPath(request);
  try {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) return { known: false, problem: 'the kubeconfig has no current cluster' };
    const url = new URL(server.replace(/\/+$/, '') + path);
    const options: RequestOptions = { method: 'GET', headers: { accept: METADATA_ONLY } };
    await kubeConfig.applyToHTTPSOptions(options);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const get = send(url, options, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      get.setTimeout(timeoutMs, () => get.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      get.on('error', reject);
      get.end();
    });
    if (status === 200) return { known: true, labels: labelsOf(parsedObject(text)) };
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch { /* not a Status: keep the text */ }
    const hint = status === 403 ? ' (logistis needs get on it: deploy/rbac/logistis-locks.yaml)' : '';
    return { known: false, problem: `GET ${path} answered ${status}: ${message}${hint}` };
  } catch (error) {
    return { known: false, problem: `GET ${path} failed: ${(error as Error).message}` };
  }
}

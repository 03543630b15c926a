// Renders the APIService that registers the read API with the aggregation layer, from the same template the
// Helm chart uses.
import { readFileSync } from 'node:fs';
import { renderTemplate } from './template.ts';

export const APISERVICE_TEMPLATE_URL = new URL('../../deploy/apiservice/apiservice.yaml', import.meta.url);
export const APISERVICE_NAME = 'v1alpha1.audit.logistis.io';

export interface ApiServiceOptions {
  service: { name: string; namespace: string; port: number };
  caBundlePem: string;
}

export function renderApiService(options: ApiServiceOptions): string {
  if (!options.caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('APIService: caBundlePem must hold a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  const { port } = options.service;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`APIService: service port ${port} is not a port`);
  return renderTemplate(readFileSync(APISERVICE_TEMPLATE_URL, 'utf8'), {
    apiService: { service: options.service, caBundle: Buffer.from(options.caBundlePem).toString('base64') },
  }, 'APIService template').toString({ lineWidth: 0 });
}

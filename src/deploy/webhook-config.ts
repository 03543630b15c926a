// Renders deploy/webhook/validating-webhook-configuration.yaml, the ValidatingWebhookConfiguration that sends
// changes to `logistis serve`, as a YAML document (`template.ts`) with fields added for presets and strict Locks.
// The Helm chart renders the same file with `tpl`; see the comment at its top for the placeholder syntax. Pure
// apart from reading the template once (pass `template` to skip even that).
import { readFileSync } from 'node:fs';
import { parse, type Document } from 'yaml';
import { presetMatchConditions } from '../rules/match-conditions.ts';
import { CONNECT_SUBRESOURCES, type PresetName } from '../rules/presets.ts';
import { renderTemplate } from './template.ts';

export const DEFAULT_CONFIGURATION_NAME = 'logistis';
export const DEFAULT_TIMEOUT_SECONDS = 5;
/** deploy/ sits two levels above both src/deploy/ and dist/deploy/. */
export const WEBHOOK_TEMPLATE_URL = new URL('../../deploy/webhook/validating-webhook-configuration.yaml', import.meta.url);
/** What turns a copy of the capture entry into the strict Locks entry; see the comment at its top. */
export const STRICT_LOCKS_OVERLAY_URL = new URL('../../deploy/webhook/strict-locks-webhook.yaml', import.meta.url);
export const STRICT_LOCKS_WEBHOOK_NAME = 'strict-locks.logistis.io';

export interface WebhookServiceRef {
  name: string;
  namespace: string;
  /** Defaults to 443, as in the API. */
  port?: number;
  /** Defaults to `/capture`. */
  path?: string;
}

export interface WebhookConfigOptions {
  /** `https://host:port/capture`; give this or `service`. */
  url?: string;
  service?: WebhookServiceRef;
  /** PEM of the CA that signed the webhook server's certificate. */
  caBundlePem: string;
  /** 1 to 30; defaults to 5. */
  timeoutSeconds?: number;
  /** metadata.name of the configuration; defaults to `logistis`. */
  configurationName?: string;
  /** Template text to use instead of the file (tests). */
  template?: string;
  /**
   * Capture presets the server runs with: those that need no object become matchConditions, and `exec` adds
   * CONNECT on pods/exec, pods/attach and pods/portforward. Absent: the template as it is.
   */
  presets?: readonly PresetName[];
  /** The server's rules file has include rules: presets then stay in the server (an include may override them). */
  userRulesInclude?: boolean;
  /**
   * Add the strict Locks entry (deploy/webhook/strict-locks-webhook.yaml): failurePolicy Fail, check only, in
   * namespaces labelled logistis.io/strict-locks=true. Default false: Locks are best effort.
   */
  strictLocks?: boolean;
  /** Overlay text to use instead of the file (tests). */
  strictLocksOverlay?: string;
}

export interface WebhookClientConfig {
  url?: string;
  service?: Required<WebhookServiceRef>;
  caBundle: string;
}

export interface WebhookTemplateValues {
  webhook: { configurationName: string; clientConfig: WebhookClientConfig; timeoutSeconds: number };
}

export interface RenderedWebhookConfiguration {
  /** YAML, ready for `kubectl apply -f -`. */
  yaml: string;
  /** The same, parsed. */
  object: ValidatingWebhookConfiguration;
}

/** The fields of admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration this project sets. */
export interface ValidatingWebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'ValidatingWebhookConfiguration';
  metadata: { name: string; labels?: Record<string, string> };
  webhooks: Array<{
    name: string;
    admissionReviewVersions: string[];
    clientConfig: WebhookClientConfig;
    rules: Array<{ apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[]; scope: string }>;
    matchPolicy: string;
    failurePolicy: string;
    sideEffects: string;
    timeoutSeconds: number;
    matchConditions: Array<{ name: string; expression: string }>;
    namespaceSelector?: { matchLabels?: Record<string, string> };
  }>;
}

/** deploy/webhook/strict-locks-webhook.yaml, parsed. */
export interface StrictLocksOverlay {
  name: string;
  path: string;
  failurePolicy: string;
  sideEffects: string;
  namespaceSelector: { matchLabels: Record<string, string> };
  matchConditions: Array<{ name: string; expression: string }>;
}

let cachedTemplate: string | undefined;

export function readWebhookTemplate(): string {
  cachedTemplate ??= readFileSync(WEBHOOK_TEMPLATE_URL, 'utf8');
  return cachedTemplate;
}

function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`webhook url ${JSON.stringify(url)} is not a URL; give e.g. https://127.0.0.1:8443/capture`);
  }
  if (parsed.protocol !== 'https:') throw new Error(`webhook url ${url} must use https (the API server only calls webhooks over TLS)`);
  if (parsed.username || parsed.password || parsed.hash || parsed.search) {
    throw new Error(`webhook url ${url} must not have user info, a query or a fragment`);
  }
  return url;
}

export function webhookTemplateValues(opts: WebhookConfigOptions): WebhookTemplateValues {
  if ((opts.url === undefined) === (opts.service === undefined)) {
    throw new Error('webhook configuration: give exactly one of url or service');
  }
  if (!opts.caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('webhook configuration: caBundlePem must hold a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  const timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new Error(`webhook configuration: timeoutSeconds must be an integer from 1 to 30, not ${timeoutSeconds}`);
  }
  const caBundle = Buffer.from(opts.caBundlePem).toString('base64');
  let clientConfig: WebhookClientConfig;
  if (opts.url !== undefined) {
    clientConfig = { url: checkedUrl(opts.url), caBundle };
  } else {
    const s = opts.service as WebhookServiceRef;
    const port = s.port ?? 443;
    if (!s.name || !s.namespace) throw new Error('webhook configuration: service needs a name and a namespace');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`webhook configuration: service port ${port} is not a port`);
    const path = s.path ?? '/capture';
    if (!path.startsWith('/')) throw new Error(`webhook configuration: service path ${JSON.stringify(path)} must start with /`);
    clientConfig = { service: { name: s.name, namespace: s.namespace, port, path }, caBundle };
  }
  return {
    webhook: { configurationName: opts.configurationName ?? DEFAULT_CONFIGURATION_NAME, clientConfig, timeoutSeconds },
  };
}

/** The ValidatingWebhookConfiguration for a webhook server reached by URL or through a Service. */
export function renderWebhookConfiguration(opts: WebhookConfigOptions): RenderedWebhookConfiguration {
  const document = renderTemplate(opts.template ?? readWebhookTemplate(), webhookTemplateValues(opts), 'webhook template');
  if (opts.presets) addPresets(document, opts.presets, opts.userRulesInclude ?? false);
  if (opts.strictLocks) addStrictLocks(document, parseStrictLocksOverlay(opts.strictLocksOverlay ?? readFileSync(STRICT_LOCKS_OVERLAY_URL, 'utf8')));
  return { yaml: document.toString({ lineWidth: 0 }), object: document.toJS() as ValidatingWebhookConfiguration };
}

export function parseStrictLocksOverlay(text: string): StrictLocksOverlay {
  const overlay = parse(text) as Partial<StrictLocksOverlay> | null;
  for (const key of ['name', 'path', 'failurePolicy', 'sideEffects'] as const) {
    if (typeof overlay?.[key] !== 'string') throw new Error(`strict Locks overlay: ${key} must be a string`);
  }
  if (!overlay?.namespaceSelector?.matchLabels || !Array.isArray(overlay.matchConditions)) {
    throw new Error('strict Locks overlay: needs namespaceSelector.matchLabels and matchConditions');
  }
  return overlay as StrictLocksOverlay;
}

/** The capture entry's path swapped for `path`, in a url or a service reference. */
function withPath(clientConfig: WebhookClientConfig, path: string): WebhookClientConfig {
  if (clientConfig.service) return { ...clientConfig, service: { ...clientConfig.service, path } };
  const url = new URL(clientConfig.url as string);
  url.pathname = path;
  return { ...clientConfig, url: url.toString() };
}

/** Appends the strict Locks entry: a copy of the capture entry (as rendered, presets included) with the overlay. */
function addStrictLocks(document: Document, overlay: StrictLocksOverlay): void {
  const capture = (document.toJS() as ValidatingWebhookConfiguration).webhooks[0];
  if (!capture) throw new Error('webhook template: no capture entry to copy for strict Locks');
  const strict = {
    ...capture,
    name: overlay.name,
    clientConfig: withPath(capture.clientConfig, overlay.path),
    failurePolicy: overlay.failurePolicy,
    sideEffects: overlay.sideEffects,
    namespaceSelector: overlay.namespaceSelector,
    matchConditions: [...capture.matchConditions, ...overlay.matchConditions],
  };
  document.addIn(['webhooks'], document.createNode(strict));
}

/** Adds the presets' matchConditions and CONNECT rule to the rendered template, keeping its comments. */
function addPresets(document: Document, presets: readonly PresetName[], userRulesInclude: boolean): void {
  for (const condition of presetMatchConditions(presets, userRulesInclude)) {
    document.addIn(['webhooks', 0, 'matchConditions'], document.createNode(condition));
  }
  if (presets.includes('exec')) {
    document.addIn(['webhooks', 0, 'rules'], document.createNode({
      apiGroups: [''], apiVersions: ['v1'], resources: CONNECT_SUBRESOURCES.map((name) => `pods/${name}`), operations: ['CONNECT'], scope: 'Namespaced',
    }));
  }
}

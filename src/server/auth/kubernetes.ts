// TokenReview and SubjectAccessReview against the API server (cached by `cached-reviewers.ts`), with the
// front-proxy settings read from kube-system/extension-apiserver-authentication as extension API servers do.
import { readFileSync } from 'node:fs';
import { AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, CHANGES_RESOURCE } from '../../api/change.ts';
import { isNonResource, type AccessAttributes, type AccessDecision, type AccessReviewer, type FrontProxySettings, type RequestUser, type TokenReviewer } from './types.ts';

export class KubernetesTokenReviewer implements TokenReviewer {
  private readonly api: AuthenticationV1Api;

  constructor(config: KubeConfig) {
    this.api = config.makeApiClient(AuthenticationV1Api);
  }

  async review(token: string): Promise<RequestUser | null> {
    const result = await this.api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const status = result.status;
    return status?.authenticated && status.user?.username
      ? { username: status.user.username, uid: status.user.uid ?? '', groups: status.user.groups ?? [], extra: status.user.extra ?? {} }
      : null;
  }
}

export class KubernetesAccessReviewer implements AccessReviewer {
  private readonly api: AuthorizationV1Api;

  constructor(config: KubeConfig) {
    this.api = config.makeApiClient(AuthorizationV1Api);
  }

  async review(user: RequestUser, attributes: AccessAttributes): Promise<AccessDecision> {
    const result = await this.api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid || undefined,
          groups: user.groups,
          extra: user.extra,
          ...(isNonResource(attributes)
            ? { nonResourceAttributes: { path: attributes.nonResourcePath, verb: attributes.verb } }
            : {
              resourceAttributes: {
                group: API_GROUP, resource: CHANGES_RESOURCE, verb: attributes.verb,
                namespace: attributes.namespace || undefined, name: attributes.name,
              },
            }),
        },
      },
    });
    return { allowed: result.status?.allowed === true, reason: result.status?.reason ?? result.status?.evaluationError ?? '' };
  }
}

function jsonList(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Front-proxy settings: from the flag's CA file when given, else from the ConfigMap the API server publishes.
 * Returns null when the cluster has no aggregation layer configured.
 */
export async function loadFrontProxySettings(config: KubeConfig, caFile?: string, allowedNames?: string[]): Promise<FrontProxySettings | null> {
  if (caFile) {
    return {
      caPem: readFileSync(caFile, 'utf8'), allowedNames: allowedNames ?? [],
      usernameHeaders: ['X-Remote-User'], uidHeaders: ['X-Remote-Uid'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'],
    };
  }
  const api = config.makeApiClient(CoreV1Api);
  const configMap = await api.readNamespacedConfigMap({ name: 'extension-apiserver-authentication', namespace: 'kube-system' });
  const data = configMap.data ?? {};
  const caPem = data['requestheader-client-ca-file'];
  if (!caPem) return null;
  return {
    caPem,
    allowedNames: allowedNames ?? jsonList(data['requestheader-allowed-names']),
    usernameHeaders: jsonList(data['requestheader-username-headers']),
    uidHeaders: jsonList(data['requestheader-uid-headers']),
    groupHeaders: jsonList(data['requestheader-group-headers']),
    extraHeaderPrefixes: jsonList(data['requestheader-extra-headers-prefix']),
  };
}

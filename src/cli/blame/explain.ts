// API failures as messages a person can act on: what went wrong, and the command that checks or fixes it.
// Pure: the error and what we were doing in, a BlameError out.
import { API_GROUP, API_VERSION, CHANGES_RESOURCE } from '../../api/change.ts';
import { BlameError } from './errors.ts';
import { ApiError, UnreachableError } from './kube-client.ts';

/** The ClusterRole the logistis manifests ship for reading changes. */
export const VIEWER_ROLE = 'logistis-viewer';
export const APISERVICE = `${API_VERSION}.${API_GROUP}`;

/** What we were doing when the request failed. */
export type Doing =
  | { what: 'changes'; namespace?: string }
  | { what: 'overview' }
  | { what: 'change'; namespace: string; id: string }
  | { what: 'discovery' }
  | { what: 'object'; type: string; name: string; namespace?: string };

/** The user a 403 names (`User "bob" cannot list ...` from Kubernetes, `user "bob" cannot ...` from logistis). */
export function forbiddenUser(message: string | undefined): string | undefined {
  return /\buser "([^"]+)"/i.exec(message ?? '')?.[1];
}

/** `403 Forbidden: <message>`; a plain-text answer that names its own status (`404 page not found`) as it is. */
function serverSaid(error: ApiError): string {
  if (error.message.startsWith(`${error.status} `)) return error.message;
  return `${error.status}${error.kubeStatus?.reason ? ` ${error.kubeStatus.reason}` : ''}: ${error.message}`;
}

/** How to get read access to changes: the RoleBinding (or ClusterRoleBinding) an admin creates. */
export function rbacAdvice(user: string | undefined, namespace: string | undefined): string {
  const who = user ?? 'YOUR-USER';
  const ns = namespace === undefined || namespace === '';
  const binding = ns
    ? `kubectl create clusterrolebinding blame-viewer-${who.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()} --clusterrole=${VIEWER_ROLE} --user=${who}`
    : `kubectl create rolebinding blame-viewer --clusterrole=${VIEWER_ROLE} --user=${who} -n ${namespace}`;
  return `Ask a cluster admin for the ${VIEWER_ROLE} ClusterRole${ns ? ' cluster-wide' : ` in namespace ${namespace}`}:\n  ${binding}`;
}

function notInstalled(error: ApiError): BlameError {
  return new BlameError(
    `logistis is not installed in this cluster: the API server has no ${API_GROUP}/${API_VERSION} (${serverSaid(error)}).\n` +
      `Check with: kubectl get apiservice ${APISERVICE}`,
  );
}

function unreachable(error: ApiError): BlameError {
  return new BlameError(
    `logistis is registered but the API server cannot reach it (${serverSaid(error)}).\n` +
      `Check with: kubectl get apiservice ${APISERVICE}  (AVAILABLE should be True; its message says why not),\n` +
      'and that the logistis pods are running and ready.',
  );
}

/** A failed request as a BlameError; BlameErrors and unknown errors pass through unchanged. */
export function explain(error: unknown, doing: Doing, contextName?: string): unknown {
  if (error instanceof UnreachableError) {
    return new BlameError(
      `cannot reach the Kubernetes API server at ${error.server}: ${error.message}.\n` +
        `Check the context${contextName ? ` "${contextName}"` : ''} with: kubectl cluster-info`,
    );
  }
  if (!(error instanceof ApiError)) return error;
  const status = error.status;
  if (status === 401) {
    return new BlameError(
      `the API server did not accept your credentials (401 Unauthorized)${contextName ? ` for context "${contextName}"` : ''}: ` +
        'log in again, or check the user with: kubectl config view --minify',
    );
  }
  const readsChanges = doing.what === 'changes' || doing.what === 'overview' || doing.what === 'change';
  if (status === 403) {
    const user = forbiddenUser(error.message);
    if (readsChanges) {
      const namespace = doing.what === 'overview' ? undefined : doing.namespace;
      const where = namespace === undefined || namespace === '' ? 'cluster-wide' : `in namespace "${namespace}"`;
      const overviewHint = doing.what === 'overview' ? '\nOr look at one namespace you can read: kubectl blame -n NAMESPACE' : '';
      const allHint = doing.what === 'changes' && doing.namespace === undefined ? '\nOr look at one namespace you can read with -n NAMESPACE instead of -A.' : '';
      return new BlameError(
        `${user ? `user "${user}" is` : 'you are'} not allowed to read the changes logistis recorded ${where} ` +
          `(${doing.what === 'change' ? 'get' : 'list'} ${CHANGES_RESOURCE}.${API_GROUP}).\n${rbacAdvice(user, namespace)}${overviewHint}${allHint}\n(${serverSaid(error)})`,
      );
    }
    if (doing.what === 'object') {
      return new BlameError(`you may not read ${doing.type}/${doing.name}${doing.namespace ? ` in namespace "${doing.namespace}"` : ''} (${serverSaid(error)})`);
    }
    return new BlameError(`the API server refused ${error.path} (${serverSaid(error)})`);
  }
  if (status === 404) {
    if (doing.what === 'change') {
      // A 404 naming the change comes from logistis; a bare one from an API server without the group.
      const namesTheChange = error.kubeStatus?.details?.name === doing.id;
      if (namesTheChange || (/not found/i.test(error.message) && !/could not find the requested resource/i.test(error.message))) {
        return new BlameError(`no change "${doing.id}" in namespace "${doing.namespace}": find its ID with -f diff or: kubectl get changes -n ${doing.namespace}`);
      }
      return notInstalled(error);
    }
    if (readsChanges) return notInstalled(error);
    if (doing.what === 'object') return new BlameError(`${doing.type} "${doing.name}" not found${doing.namespace ? ` in namespace "${doing.namespace}"` : ''}`);
  }
  if ((status === 502 || status === 503 || status === 504) && readsChanges) return unreachable(error);
  if (status === 400 && readsChanges) return new BlameError(`logistis did not accept the query (${serverSaid(error)})`);
  const what = doing.what === 'object' ? `reading ${doing.type}/${doing.name}` : `GET ${error.path}`;
  return new BlameError(`${what} failed (${serverSaid(error)})`);
}

/** Runs `request`, turning its failure into a BlameError that explains it. */
export async function explained<T>(doing: Doing, request: () => Promise<T>, contextName?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw explain(error, doing, contextName);
  }
}

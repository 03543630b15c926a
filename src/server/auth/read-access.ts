// Decides whether a read may go ahead. With Kubernetes auth, callers are either the aggregation layer's front
// proxy (which authenticated the user for us) or bearer-token holders (checked with TokenReview); either way
// a SubjectAccessReview decides. `none` exists for a local demo only.
import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { API_GROUP, CHANGES_RESOURCE } from '../../api/change.ts';
import { HttpError } from '../errors.ts';
import { isFrontProxyConnection, userFromFrontProxyHeaders } from './front-proxy.ts';
import type { AccessReviewer, FrontProxySettings, ReadAttributes, RequestUser, TokenReviewer } from './types.ts';

export interface ReadAccess {
  readonly mode: 'none' | 'kubernetes';
  /** Resolves with the caller (null with auth none), or throws HttpError 401, 403 or 503. */
  check(request: FastifyRequest, attributes: ReadAttributes): Promise<RequestUser | null>;
  /** The same for a non-resource URL such as /metrics (`get` on the path), the convention of Kubernetes components. */
  checkNonResource(request: FastifyRequest, path: string): Promise<RequestUser | null>;
  /** Who the caller is, without an access check (the dashboard's sign-in); null with auth none, else throws 401. */
  authenticate(request: FastifyRequest): Promise<RequestUser | null>;
}

export const OPEN_READ_ACCESS: ReadAccess = { mode: 'none', check: async () => null, checkNonResource: async () => null, authenticate: async () => null };

export interface KubernetesReadAccessOptions {
  tokens: TokenReviewer;
  access: AccessReviewer;
  frontProxy: FrontProxySettings | null;
}

function describeScope(attributes: ReadAttributes): string {
  return attributes.namespace ? `in namespace "${attributes.namespace}"` : 'across all namespaces';
}

function howToGetAccess(user: RequestUser, attributes: ReadAttributes): string {
  const binding = `logistis-viewer-${user.username.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`;
  return attributes.namespace
    ? `ask for the logistis-viewer ClusterRole in this namespace: kubectl create rolebinding ${binding} --clusterrole=logistis-viewer --user=${user.username} -n ${attributes.namespace}`
    : `ask for the logistis-viewer ClusterRole cluster-wide: kubectl create clusterrolebinding ${binding} --clusterrole=logistis-viewer --user=${user.username}`;
}

async function callApiServer<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new HttpError(503, `cannot ${what} with the Kubernetes API server: ${(error as Error).message}`);
  }
}

export function kubernetesReadAccess(options: KubernetesReadAccessOptions): ReadAccess {
  const authenticate = async (request: FastifyRequest): Promise<RequestUser> => {
    const socket = request.raw.socket as TLSSocket;
    if (options.frontProxy && isFrontProxyConnection(socket, options.frontProxy)) {
      const user = userFromFrontProxyHeaders(request.raw.headersDistinct, options.frontProxy);
      if (!user) throw new HttpError(401, 'the front proxy forwarded no user name');
      return user;
    }
    const authorization = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) {
      throw new HttpError(401, 'no credentials: send a Kubernetes bearer token (Authorization: Bearer …), or come through the API server with kubectl blame');
    }
    const user = await callApiServer(() => options.tokens.review(match[1]!), 'check the token');
    if (!user) throw new HttpError(401, 'the Kubernetes API server did not accept this token');
    return user;
  };
  return {
    mode: 'kubernetes',
    authenticate,
    async check(request, attributes) {
      const user = await authenticate(request);
      const decision = await callApiServer(() => options.access.review(user, attributes), 'check access');
      if (!decision.allowed) {
        throw new HttpError(403,
          `user "${user.username}" cannot ${attributes.verb} ${CHANGES_RESOURCE}.${API_GROUP} ${describeScope(attributes)}${decision.reason ? ` (${decision.reason})` : ''}; ${howToGetAccess(user, attributes)}`);
      }
      return user;
    },
    async checkNonResource(request, path) {
      const user = await authenticate(request);
      const decision = await callApiServer(() => options.access.review(user, { verb: 'get', nonResourcePath: path }), 'check access');
      if (!decision.allowed) {
        throw new HttpError(403, `user "${user.username}" cannot get ${path}${decision.reason ? ` (${decision.reason})` : ''}; bind the logistis-metrics-reader ClusterRole (deploy/rbac/logistis-metrics-reader.yaml)`);
      }
      return user;
    },
  };
}

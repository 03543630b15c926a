// Who is asking, and may they read: the read side's authentication and authorisation boundary.
import type { EventUser } from '../../event.ts';

export type RequestUser = EventUser;

/** What a read needs: `list` on changes.audit.logistis.io in a namespace ('' = every namespace). */
export interface ReadAttributes {
  verb: 'get' | 'list';
  namespace: string;
  name?: string;
}

/** A non-resource URL, as Kubernetes components check `/metrics`: `get` on the path. */
export interface NonResourceAttributes {
  verb: 'get';
  nonResourcePath: string;
}

export type AccessAttributes = ReadAttributes | NonResourceAttributes;

export function isNonResource(attributes: AccessAttributes): attributes is NonResourceAttributes {
  return 'nonResourcePath' in attributes;
}

export interface AccessDecision {
  allowed: boolean;
  reason: string;
}

export interface TokenReviewer {
  /** The user behind a bearer token, or null when the API server does not accept it. */
  review(token: string): Promise<RequestUser | null>;
}

export interface AccessReviewer {
  review(user: RequestUser, attributes: AccessAttributes): Promise<AccessDecision>;
}

/** Settings of the aggregation layer's front proxy, as in kube-system/extension-apiserver-authentication. */
export interface FrontProxySettings {
  caPem: string;
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
  /** The listener's TLS trusts only the front-proxy CA: a chain through intermediate CAs is then accepted too. */
  exclusiveTrust?: boolean;
}

// Signing in with a Kubernetes bearer token, and what a 401 or a 403 means.
import { useState, type SubmitEvent } from 'react';
import { ApiError } from '../api.ts';

export function SignIn({ message, hadToken, onToken }: { message: string; hadToken: boolean; onToken: (token: string) => void }) {
  const [token, setTokenText] = useState('');
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <section className="card signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in with a Kubernetes token</h1>
      <p role="alert" className="error">
        <strong>401 Unauthorized: </strong>
        {hadToken ? 'the Kubernetes API server did not accept this token (expired, revoked or mistyped).' : 'the server does not know who you are yet.'}
        {' '}Server said: <q>{message}</q>
      </p>
      <p>
        This server checks every read with your own Kubernetes identity (TokenReview) and RBAC (SubjectAccessReview), as <code>kubectl blame</code> does.
        Paste a bearer token, for example from <code>kubectl create token NAME</code> or your kubeconfig.
        It is kept only in this browser tab (session storage) and sent only to this server.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="token">Bearer token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={token} onChange={(event) => setTokenText(event.target.value)} required />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}

export function ErrorNotice({ error }: { error: Error }) {
  if (error instanceof ApiError && error.status === 403) {
    return (
      <div role="alert" className="error card">
        <strong>403 Forbidden: </strong>you are signed in, but your Kubernetes RBAC does not allow this read.
        Reading history needs <code>list</code> on <code>changes.audit.logistis.io</code> (the <code>logistis-viewer</code> ClusterRole) in the namespace, or cluster-wide for the overview.
        <p>Server said: <q>{error.message}</q></p>
      </div>
    );
  }
  if (error instanceof ApiError && error.status === 401) {
    return <div role="alert" className="error card"><strong>401 Unauthorized: </strong>sign in again. Server said: <q>{error.message}</q></div>;
  }
  return <div role="alert" className="error card"><strong>{error instanceof ApiError ? `${error.status}: ` : 'Error: '}</strong>{error.message}</div>;
}

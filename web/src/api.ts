// The dashboard's one way to the server: the read API with the caller's bearer token, errors as ApiError.
// The token lives in this tab's sessionStorage only (never localStorage): it is gone when the tab closes.
import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { ChangeEvent } from '../../src/api/event.ts';

const TOKEN_KEY = 'logistis.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function headers(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Leaves out empty values, so a cleared filter is not sent as `name=`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: headers(), signal });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: keep the text
    }
    throw new ApiError(response.status, message || response.statusText);
  }
  return JSON.parse(text) as T;
}

export interface Session {
  auth: 'none' | 'kubernetes';
  user?: { username: string; groups: string[] };
}

export interface EventPage {
  items: ChangeEvent[];
  nextCursor?: string;
}

export type LiveMessage = { type: 'change'; event: ChangeEvent } | { type: 'gap' } | { type: 'ready' };

/**
 * Follows `/api/v1/events/live` (server-sent events) with fetch, since EventSource cannot send the
 * Authorization header; eventsource-parser reads the stream. Reconnects after a dropped stream; stops when
 * `signal` aborts.
 */
export async function followLive(path: string, onMessage: (message: LiveMessage) => void, signal: AbortSignal, onState: (live: boolean) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(path, { headers: { ...headers(), accept: 'text/event-stream' }, signal });
      if (!response.ok || !response.body) throw new ApiError(response.status, await response.text());
      onState(true);
      // A reader, not `for await`: Safari's streams are not async iterable.
      const messages = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      for (;;) {
        const { value: message, done } = await messages.read();
        if (done) break;
        if (message.event === 'change') onMessage({ type: 'change', event: JSON.parse(message.data) as ChangeEvent });
        else if (message.event === 'gap' || message.event === 'ready') onMessage({ type: message.event });
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        onState(false);
        return;
      }
    }
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

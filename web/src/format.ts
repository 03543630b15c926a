// Small presentation helpers: times, object names, links. Pure.
import { stringify } from 'yaml';
import type { ChangeEvent } from '../../src/api/event.ts';
import { query } from './api.ts';

export function toYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0, sortMapEntries: false });
}

export function ago(time: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(time)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function localTime(time: string): string {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export interface ObjectRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export function objectLabel(ref: ObjectRef): string {
  return `${ref.kind}${ref.group ? `.${ref.group}` : ''} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function objectPath(ref: ObjectRef, extra: Record<string, string> = {}): string {
  return `/object${query({ namespace: ref.namespace, group: ref.group, kind: ref.kind, name: ref.name, ...extra })}`;
}

export function userPath(username: string): string {
  return `/user${query({ user: username })}`;
}

/** An oversized review's event: only its metadata was recorded (see OversizedReview in src/event.ts). */
export function oversizedLabel(oversized: NonNullable<ChangeEvent['oversized']>): string {
  const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `too large to record (${mib(oversized.reviewBytes)}, over the ${mib(oversized.maxBodyBytes)} limit): metadata only`;
}

export function operationLabel(event: Pick<ChangeEvent, 'operation' | 'subresource' | 'deniedBy'>): string {
  return `${event.operation}${event.subresource ? ` ${event.subresource}` : ''}${event.deniedBy ? ' (denied)' : ''}`;
}

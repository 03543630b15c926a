// What a Lock's status should say: Active, Expired, or Ignored with the reason; an Active Lock naming resources the
// API server does not serve says which (they match nothing). Pure.
import { isObject } from '../event.ts';
import type { ParsedLock } from './lock.ts';
import { isActive } from './match.ts';

export type LockPhase = 'Active' | 'Expired' | 'Ignored';

export interface LockStatus {
  phase: LockPhase;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

/** `unknownResources`: the Lock's resources the API server does not serve (resources.ts). */
export function desiredPhase(parsed: ParsedLock, now: number, unknownResources: readonly string[] = []): { phase: LockPhase; message: string } {
  if (!parsed.ok) return { phase: 'Ignored', message: `ignored by logistis: ${parsed.problem}` };
  if (!isActive(parsed.lock, now)) return { phase: 'Expired', message: `expired at ${new Date(parsed.lock.expiresAt!).toISOString()}` };
  if (unknownResources.length > 0) {
    return { phase: 'Active', message: `enforced by logistis, but these resources match nothing: ${unknownResources.join('; ')}`.slice(0, 4096) };
  }
  return { phase: 'Active', message: 'enforced by logistis' };
}

/** The status to write, or null when the object's status already says it. */
export function statusUpdate(parsed: ParsedLock, current: unknown, now: number, unknownResources: readonly string[] = []): LockStatus | null {
  const { phase, message } = desiredPhase(parsed, now, unknownResources);
  const generation = parsed.ok ? parsed.lock.generation : parsed.generation;
  const existing = isObject(current) ? current : {};
  if (existing['phase'] === phase && existing['message'] === message && existing['observedGeneration'] === generation) return null;
  const transitioned = existing['phase'] !== phase || typeof existing['lastTransitionTime'] !== 'string';
  return {
    phase,
    message,
    observedGeneration: generation,
    lastTransitionTime: transitioned ? new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') : (existing['lastTransitionTime'] as string),
  };
}

// AdmissionReview fixtures: real reviews captured from kube-apiserver (test/fixtures/admission/*.json), for the
// tests and the benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export const ADMISSION_FIXTURES_DIR = new URL('../test/fixtures/admission/', import.meta.url).pathname;

export type Review = { apiVersion: string; kind: string; request: Record<string, unknown> & { uid: string } };

export function fixtureNames(): string[] {
  return readdirSync(ADMISSION_FIXTURES_DIR).filter((name) => name.endsWith('.json')).sort();
}

export function loadFixture(name: string): Review {
  return JSON.parse(readFileSync(join(ADMISSION_FIXTURES_DIR, name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as Review;
}

/** A copy with a fresh request uid, so many captures of one fixture are distinct requests. */
export function withFreshUid(review: Review): Review {
  const copy = structuredClone(review);
  copy.request.uid = randomUUID();
  return copy;
}

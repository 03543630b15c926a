// Which of a Lock's resources the API server does not serve (a Kind such as Deployment, a subresource such as
// deployments/scale, a typo): such an entry matches nothing, and the Lock's status says so. Pure over discovery.
import type { Lock } from './lock.ts';

/**
 * Group ('' for core) → the resource names it serves in any version; null for a group whose discovery failed (an
 * aggregated API that is down), which is never reported.
 */
export type DiscoveredResources = ReadonlyMap<string, ReadonlySet<string> | null>;

function groupName(group: string): string {
  return group === '' ? 'the core group' : `group ${group}`;
}

/** One line per entry of spec.target.resources that matches nothing the API server serves. */
export function unknownResources(lock: Lock, discovered: DiscoveredResources): string[] {
  const problems: string[] = [];
  for (const { group, resource } of lock.target.resources) {
    const label = `${group === '' ? '' : `${group}/`}${resource}`;
    if (group === '*') {
      if (resource === '*' || [...discovered.values()].some((served) => served === null || served.has(resource))) continue;
      problems.push(`${label}: no group serves a resource "${resource}"`);
      continue;
    }
    if (!discovered.has(group)) {
      problems.push(`${label}: the API server has no API group "${group}"`);
      continue;
    }
    const served = discovered.get(group);
    if (served === null || served === undefined || resource === '*' || served.has(resource)) continue;
    const hint = /[A-Z]/.test(resource) || resource.includes('/') ? ' (a resource is a lower-case plural, such as deployments; it covers its subresources)' : '';
    problems.push(`${label}: ${groupName(group)} has no resource "${resource}"${hint}`);
  }
  return problems;
}

// The kind of the object a subresource request changes. `kubectl scale` sends an autoscaling/v1 Scale for
// deployments/scale; its event belongs to the Deployment's history, so capture needs "deployments" → Deployment.
// Learned from every main-resource request the webhook sees, seeded with the built-ins that have subresources.
const BUILT_IN: Record<string, string> = {
  'apps/deployments': 'Deployment',
  'apps/statefulsets': 'StatefulSet',
  'apps/replicasets': 'ReplicaSet',
  '/replicationcontrollers': 'ReplicationController',
  '/pods': 'Pod',
  '/services': 'Service',
  '/namespaces': 'Namespace',
  '/nodes': 'Node',
  '/serviceaccounts': 'ServiceAccount',
  '/persistentvolumeclaims': 'PersistentVolumeClaim',
  '/persistentvolumes': 'PersistentVolume',
  'batch/jobs': 'Job',
  'batch/cronjobs': 'CronJob',
  'autoscaling/horizontalpodautoscalers': 'HorizontalPodAutoscaler',
  'apiextensions.k8s.io/customresourcedefinitions': 'CustomResourceDefinition',
};

const MAX_LEARNED = 10_000;

export class ResourceKinds {
  private readonly kinds = new Map<string, string>(Object.entries(BUILT_IN));

  learn(group: string, resource: string, kind: string): void {
    const key = `${group}/${resource}`;
    if (this.kinds.get(key) === kind || this.kinds.size >= MAX_LEARNED) return;
    this.kinds.set(key, kind);
  }

  kindOf(group: string, resource: string): string | undefined {
    return this.kinds.get(`${group}/${resource}`);
  }
}

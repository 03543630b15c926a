// Loads Kubernetes client configuration the kubectl way: an explicit file, then KUBECONFIG, then in-cluster,
// then ~/.kube/config; an optional context.
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new Error(`--context: no context "${options.context}" in the kubeconfig; known: ${config.getContexts().map((c) => c.name).join(', ')}`);
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: set --kubeconfig or KUBECONFIG, or run inside a cluster');
  return config;
}

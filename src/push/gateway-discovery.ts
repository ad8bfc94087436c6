/**
 * Finds the gateway pods: pods matching GATEWAY_SELECTOR in the watched namespaces that are
 * Ready, have an IP and are not being deleted. Their agent listens on `status.podIP:port`.
 */
import type { Informer } from '../runtime/informer/informer.js';
import type { KubeObject } from '../runtime/kube/resource.js';
import type { Gateway } from './gateway-connection.js';

export interface Pod extends KubeObject {
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

export function gatewayOf(pod: Pod, agentPort: number): Gateway | undefined {
  const ip = pod.status?.podIP;
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!ip || !ready || pod.metadata.deletionTimestamp) return undefined;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return {
    name: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
    address: `${host}:${agentPort}`,
    labels: pod.metadata.labels ?? {},
  };
}

/** Calls `onChange` with every gateway whenever a pod event changes the set. */
export function watchGateways(
  pods: Informer<Pod>,
  agentPort: number,
  onChange: (gateways: Gateway[]) => void,
): void {
  let last = '';
  const recompute = (): void => {
    const gateways = pods.store
      .list()
      .map((pod) => gatewayOf(pod, agentPort))
      .filter((g): g is Gateway => g !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const key = JSON.stringify(gateways);
    if (key === last) return;
    last = key;
    onChange(gateways);
  };
  pods.addHandler({ onAdd: recompute, onUpdate: recompute, onDelete: recompute });
}

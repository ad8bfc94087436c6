/**
 * Simulated gateway pods for the demo and end-to-end tests: N reference agents on 127.0.0.2… with the certificate
 * the operator wrote for them, and Pod objects that point the operator at them, as a kubelet
 * would report real pods.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulatedGateways, type SimulatedGateways } from '../../src/agent/simulator.js';
import type { TlsMaterial } from '../../src/grpc/credentials.js';
import { AGENT_TLS_SECRET } from '../../src/push/mtls-ca.js';
import type { KubeClient } from '../../src/runtime/kube/client.js';
import { isNotFound } from '../../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';

const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

export interface GatewayPods {
  readonly simulated: SimulatedGateways;
  readonly dirRoot: string;
  stop(): Promise<void>;
}

export async function startGatewayPods(
  client: KubeClient,
  namespace: string,
  count: number,
  port: number,
  /** HTTP port every agent answers ACME HTTP-01 on (a real gateway: 80); 0 picks free ones. */
  httpPort = 0,
  /** Where the operator keeps the agents' TLS Secret: its own namespace (POD_NAMESPACE). */
  operatorNamespace = namespace,
): Promise<GatewayPods> {
  const tls = await agentTlsFromOperator(client, operatorNamespace);
  const dirRoot = mkdtempSync(join(tmpdir(), 'gateway-worker-gateways-'));
  const simulated = await startSimulatedGateways({ count, tls, dirRoot, port, httpPort });
  await createGatewayPods(client, namespace, simulated.gateways);
  return {
    simulated,
    dirRoot,
    async stop() {
      await simulated.stop();
      rmSync(dirRoot, { recursive: true, force: true });
    },
  };
}

/** The agents' certificate, once the operator has written its Secret (it does so at start). */
export async function agentTlsFromOperator(
  client: KubeClient,
  operatorNamespace: string,
): Promise<TlsMaterial> {
  for (let i = 0; i < 300; i++) {
    const secret = await client
      .get<KubeObject & { data?: Record<string, string> }>(
        CoreTypes.secret,
        operatorNamespace,
        AGENT_TLS_SECRET,
      )
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
    if (secret)
      return {
        caPem: b64(secret.data?.['ca.crt']),
        certPem: b64(secret.data?.['tls.crt']),
        keyPem: b64(secret.data?.['tls.key']),
      };
    await sleep(100);
  }
  throw new Error(`the operator did not write Secret ${operatorNamespace}/${AGENT_TLS_SECRET}`);
}

/** Ready gateway Pods whose status.podIP is each agent's address, as a kubelet would report. */
export async function createGatewayPods(
  client: KubeClient,
  namespace: string,
  gateways: readonly { readonly name: string; readonly host: string }[],
): Promise<void> {
  for (const gateway of gateways) {
    await client.create(CoreTypes.pod, {
      metadata: { namespace, name: gateway.name, labels: { 'app.kubernetes.io/name': 'gateway' } },
      spec: { containers: [{ name: 'gateway', image: 'awesomeapibrasil/gateway:demo' }] },
    });
    await client.mergePatch(
      CoreTypes.pod,
      namespace,
      gateway.name,
      { status: { podIP: gateway.host, conditions: [{ type: 'Ready', status: 'True' }] } },
      'status',
    );
  }
}

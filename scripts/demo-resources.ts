/**
 * What the demo applies with the real kubectl, the way a user would: a Certificate from the local
 * ACME server, the example WafRuleSet, and a RouteConfig to a Service whose EndpointSlice lists
 * two pods, using that certificate; and what it shows afterwards: `kubectl get` and the files the
 * first gateway's agent wrote.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/envtest/assets.js';
import type { KubeClient } from '../src/runtime/kube/client.js';
import { CoreTypes } from '../src/runtime/kube/resource.js';
import type { Pebble } from '../test/support/pebble.js';

const ROUTES = `apiVersion: gateway.awesomeapi.com.br/v1alpha1
kind: RouteConfig
metadata:
  name: shop
spec:
  hostnames: [shop.example.com]
  tls:
    certificateRef: { name: shop }
  routes:
    - name: api
      match:
        path: { type: Prefix, value: /api }
      backends:
        - service: { name: shop-api, port: 80 }
      wafRuleSetRefs:
        - name: baseline
`;

/** A certificate from the demo's local ACME server (Pebble), proven over HTTP-01 by the gateways. */
function certificate(pebble: Pebble): string {
  return `apiVersion: gateway.awesomeapi.com.br/v1alpha1
kind: Certificate
metadata:
  name: shop
spec:
  secretName: shop-tls
  dnsNames: [shop.example.com, www.shop.example.com]
  acme:
    server: ${pebble.directoryUrl}
    email: admin@shop.example.com
    caBundle: ${Buffer.from(pebble.caBundle).toString('base64')}
    solver:
      http01: {}
`;
}

export async function applyDemoResources(
  client: KubeClient,
  kubectl: string,
  kubeconfig: string,
  pebble: Pebble | undefined,
): Promise<void> {
  await client.create(CoreTypes.service, {
    metadata: { namespace: 'default', name: 'shop-api' },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  await client.create(CoreTypes.endpointSlice, {
    metadata: {
      namespace: 'default',
      name: 'shop-api-demo',
      labels: { 'kubernetes.io/service-name': 'shop-api' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ['10.1.0.11', '10.1.0.12'].map((a) => ({ addresses: [a], conditions: { ready: true } })),
  });
  const apply = (args: string[], input?: string) =>
    execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', ...args], { input, encoding: 'utf8' });
  process.stdout.write(
    `demo: kubectl apply -f examples/wafruleset.yaml\n${apply(['-f', join(REPO_ROOT, 'examples', 'wafruleset.yaml')])}`,
  );
  if (pebble) {
    process.stdout.write(
      `demo: kubectl apply (Certificate shop from Pebble)\n${apply(['-f', '-'], certificate(pebble))}`,
    );
  }
  process.stdout.write(
    `demo: kubectl apply (RouteConfig shop → Service shop-api, TLS from Certificate shop)\n${apply(['-f', '-'], ROUTES)}`,
  );
}

/** `kubectl get` of our kinds and the head of the files a gateway's agent wrote. */
export function showGatewayFiles(dir: string | undefined, kubectl: string, kubeconfig: string): void {
  try {
    const table = execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'get', 'gwcert,waf,gwroute', '-A'], {
      encoding: 'utf8',
    });
    process.stdout.write(`demo: kubectl get gwcert,waf,gwroute -A\n${indent(table)}`);
  } catch {
    // The CRDs are still being established; the next report shows it.
  }
  if (!dir) return;
  const certs = join(dir, 'certs');
  if (existsSync(certs)) {
    const files = readdirSync(certs).join(', ');
    process.stdout.write(`demo: ${certs}: ${files || 'empty'}\n`);
  }
  for (const file of ['waf-rules.yaml', 'routes.yaml']) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split('\n');
    const head = lines.slice(0, 14).join('\n');
    process.stdout.write(`demo: ${path} (${lines.length} lines, first 14):\n${indent(head)}\n`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `        ${line}` : line))
    .join('\n');
}

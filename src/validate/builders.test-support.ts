/**
 * Object builders for tests, in cert-manager's style: `certificate('c1', withDnsNames('a.example'))`.
 * Typed with the input types derived from the schemas, so a builder cannot drift from the API.
 */
import {
  API_VERSION,
  type InputOfKind,
  type certificateKind,
  type routeConfigKind,
  type wafRuleSetKind,
} from '../api/v1alpha1/index.js';

export type CertificateInput = InputOfKind<typeof certificateKind>;
export type WafRuleSetInput = InputOfKind<typeof wafRuleSetKind>;
export type RouteConfigInput = InputOfKind<typeof routeConfigKind>;
type Modifier<T> = (obj: T) => void;
type WafRuleInput = NonNullable<WafRuleSetInput['spec']['rules']>[number];
type RouteInput = RouteConfigInput['spec']['routes'][number];

function build<T>(base: T, modifiers: Modifier<T>[]): T {
  for (const modify of modifiers) modify(base);
  return base;
}

export function certificate(name: string, ...modifiers: Modifier<CertificateInput>[]): CertificateInput {
  return build<CertificateInput>(
    {
      apiVersion: API_VERSION,
      kind: 'Certificate',
      metadata: { name },
      spec: { secretName: `${name}-tls`, dnsNames: ['shop.example.com'], acme: { solver: { http01: {} } } },
    },
    modifiers,
  );
}

export const withDnsNames =
  (...names: string[]): Modifier<CertificateInput> =>
  (c) => {
    c.spec.dnsNames = names;
  };

export const withDns01Cloudflare: Modifier<CertificateInput> = (c) => {
  c.spec.acme.solver = { dns01: { cloudflare: { apiTokenSecretRef: { name: 'cf', key: 'token' } } } };
};

export function wafRule(id: string, overrides: Partial<WafRuleInput> = {}): WafRuleInput {
  return {
    id,
    conditions: [{ field: 'uri', operator: 'contains', value: '../' }],
    action: { type: 'block' },
    ...overrides,
  };
}

export function wafRuleSet(name: string, ...modifiers: Modifier<WafRuleSetInput>[]): WafRuleSetInput {
  return build<WafRuleSetInput>(
    { apiVersion: API_VERSION, kind: 'WafRuleSet', metadata: { name }, spec: { rules: [wafRule('r1')] } },
    modifiers,
  );
}

export const withRules =
  (...rules: WafRuleInput[]): Modifier<WafRuleSetInput> =>
  (w) => {
    w.spec.rules = rules;
  };

export const withCondition =
  (field: string, operator: string, value: string): Modifier<WafRuleSetInput> =>
  (w) => {
    // Operator is typed as the enum; tests also need values outside it.
    w.spec.rules = [wafRule('r1', { conditions: [{ field, operator, value } as never] })];
  };

export function route(name: string, overrides: Partial<RouteInput> = {}): RouteInput {
  return { name, backends: [{ service: { name: 'web', port: 80 } }], ...overrides };
}

export function routeConfig(name: string, ...modifiers: Modifier<RouteConfigInput>[]): RouteConfigInput {
  return build<RouteConfigInput>(
    {
      apiVersion: API_VERSION,
      kind: 'RouteConfig',
      metadata: { name },
      spec: { hostnames: ['shop.example.com'], routes: [route('web')] },
    },
    modifiers,
  );
}

export const withRoutes =
  (...routes: RouteInput[]): Modifier<RouteConfigInput> =>
  (r) => {
    r.spec.routes = routes;
  };

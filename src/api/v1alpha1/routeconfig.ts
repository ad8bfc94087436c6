/**
 * RouteConfig (gwroute): host names, routes and their backends, load balancing, health checks,
 * circuit breaking, rate limits and WAF rule sets, pushed to the selected gateway pods.
 */
import {
  conditions,
  duration,
  gatewaySelector,
  gatewaysStatus,
  hostname,
  objectName,
  observedGeneration,
  uniqueBy,
} from './common.js';
import { DURATION_PATTERN, parseDuration } from './checks/duration.js';
import { DNS_LABEL, HEADER_NAME, celString, matches } from './checks/names.js';
import {
  BACKREFERENCE,
  BACKREFERENCE_MESSAGE,
  LOOK_AROUND,
  LOOK_AROUND_MESSAGE,
  hasBackreference,
  hasLookAround,
  regexProblem,
} from './checks/regex.js';
import {
  array,
  cel,
  defaulted,
  enumeration,
  integer,
  object,
  offline,
  required,
  string,
  type Rule,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'] as const;

/**
 * The server-side heuristics and the exact offline compile for a `value` that is a regex when
 * `type` is RegularExpression (path and header matches share the shape).
 */
function regexWhenTyped<T extends { type: string; value: string }>(): Rule<T>[] {
  const isRegex = (self: T): boolean => self.type === 'RegularExpression';
  return [
    cel(
      `self.type != 'RegularExpression' || !self.value.matches(${celString(LOOK_AROUND)})`,
      LOOK_AROUND_MESSAGE,
      (self) => !isRegex(self) || !hasLookAround(self.value),
      { fieldPath: '.value' },
    ),
    cel(
      `self.type != 'RegularExpression' || !self.value.matches(${celString(BACKREFERENCE)})`,
      BACKREFERENCE_MESSAGE,
      (self) => !isRegex(self) || !hasBackreference(self.value),
      { fieldPath: '.value' },
    ),
    offline((self) => (isRegex(self) ? regexProblem(self.value) : undefined), { fieldPath: '.value' }),
  ];
}

const pathMatch = object(
  'Which request paths the route takes.',
  {
    type: defaulted(
      enumeration('Prefix (path segments), Exact, or RegularExpression (Rust regex syntax).', [
        'Prefix',
        'Exact',
        'RegularExpression',
      ]),
      'Prefix',
    ),
    value: defaulted(string('The path, or the pattern for RegularExpression.', { maxLength: 1024 }), '/'),
  },
  cel(
    "self.type == 'RegularExpression' || self.value.startsWith('/')",
    "path value must start with '/' for Prefix and Exact",
    (self) => self.type === 'RegularExpression' || self.value.startsWith('/'),
    { fieldPath: '.value' },
  ),
  ...regexWhenTyped(),
);

const headerMatch = object(
  'A request header the route requires.',
  {
    name: required(
      string(
        'Header name (case-insensitive).',
        { maxLength: 256 },
        cel(`self.matches(${celString(HEADER_NAME)})`, 'name must be an HTTP header name', (self) =>
          matches(HEADER_NAME, self),
        ),
      ),
    ),
    value: required(string('The value, or the pattern for RegularExpression.', { maxLength: 1024 })),
    type: defaulted(
      enumeration('Exact or RegularExpression (Rust regex syntax).', ['Exact', 'RegularExpression']),
      'Exact',
    ),
  },
  ...regexWhenTyped(),
);

const backend = object(
  'Where requests go: a Service in the namespace of this RouteConfig, or a URL. Set exactly one.',
  {
    service: object('A Service in the namespace of this RouteConfig.', {
      name: required(
        string(
          'Service name.',
          { maxLength: 63 },
          cel(
            `self.matches(${celString(DNS_LABEL)})`,
            'service name must be a lowercase RFC 1123 label',
            (self) => matches(DNS_LABEL, self),
          ),
        ),
      ),
      port: required(integer('Service port.', { minimum: 1, maximum: 65535 })),
    }),
    url: string(
      'An http:// or https:// URL outside the cluster.',
      { maxLength: 2048 },
      cel(
        "(self.startsWith('http://') || self.startsWith('https://')) && isURL(self)",
        'url must be an http:// or https:// URL',
        (self) => /^https?:\/\//.test(self) && URL.canParse(self),
      ),
    ),
    weight: defaulted(
      integer('Share of the requests, relative to the other backends (0 to 1000).', {
        minimum: 0,
        maximum: 1000,
      }),
      1,
    ),
  },
  cel(
    'has(self.service) != has(self.url)',
    'exactly one of service or url must be set',
    (self) => (self.service !== undefined) !== (self.url !== undefined),
  ),
);

const healthCheck = object(
  'Active health checks of the backends.',
  {
    path: defaulted(
      string(
        'Path requested.',
        { maxLength: 1024 },
        cel("self.startsWith('/')", "healthCheck.path must start with '/'", (self) => self.startsWith('/')),
      ),
      '/health',
    ),
    interval: defaulted(duration('Time between checks.'), '30s'),
    timeout: defaulted(duration('How long a check may take.'), '5s'),
    healthyThreshold: defaulted(
      integer('Successes that mark a backend healthy.', { minimum: 1, maximum: 100 }),
      2,
    ),
    unhealthyThreshold: defaulted(
      integer('Failures that mark a backend unhealthy.', { minimum: 1, maximum: 100 }),
      3,
    ),
    expectedStatus: defaulted(
      integer('HTTP status a healthy backend answers.', { minimum: 100, maximum: 599 }),
      200,
    ),
  },
  cel(
    // Guarded by the duration pattern so a malformed value reports the pattern's message alone.
    `!self.timeout.matches(${celString(DURATION_PATTERN)}) || !self.interval.matches(${celString(DURATION_PATTERN)}) || ` +
      'duration(self.timeout) < duration(self.interval)',
    'healthCheck.timeout must be shorter than interval',
    (self) => {
      const [timeout, interval] = [parseDuration(self.timeout), parseDuration(self.interval)];
      return timeout === undefined || interval === undefined || timeout < interval;
    },
    { fieldPath: '.timeout' },
  ),
);

const route = object('One route: what it matches and where it sends requests.', {
  name: required(
    string(
      'Name of the route, unique in this RouteConfig; used in metrics and status.',
      { maxLength: 63 },
      cel(`self.matches(${celString(DNS_LABEL)})`, 'route name must be a lowercase RFC 1123 label', (self) =>
        matches(DNS_LABEL, self),
      ),
    ),
  ),
  match: defaulted(
    object('What a request must look like to take this route. Default: every path.', {
      // Spelled out: the API server checks a default against the CEL rules as written, without
      // filling in the nested defaults first.
      path: defaulted(pathMatch, { type: 'Prefix', value: '/' }),
      methods: array('HTTP methods accepted; all when empty.', enumeration('An HTTP method.', METHODS), {
        maxItems: METHODS.length,
        listType: 'set',
      }),
      headers: array('Headers that must all match.', headerMatch, { maxItems: 16 }),
    }),
    { path: { type: 'Prefix', value: '/' } },
  ),
  backends: required(
    array(
      'Backends sharing the traffic by weight (1 to 16).',
      backend,
      { minItems: 1, maxItems: 16 },
      cel('self.exists(b, b.weight > 0)', 'at least one backend needs a weight above 0', (self) =>
        self.some((b) => b.weight > 0),
      ),
    ),
  ),
  timeout: defaulted(duration('Upstream timeout of a request.'), '30s'),
  retries: defaulted(
    integer('Retries of a failed idempotent request (0 to 10).', { minimum: 0, maximum: 10 }),
    0,
  ),
  loadBalancer: defaulted(
    enumeration('How requests are spread over the backends.', [
      'round_robin',
      'least_connections',
      'ip_hash',
      'random',
    ]),
    'round_robin',
  ),
  circuitBreaker: object('Stops sending to a failing backend for a while. Off when unset.', {
    failureThreshold: defaulted(
      integer('Consecutive failures that open the circuit.', { minimum: 1, maximum: 1000 }),
      5,
    ),
    timeout: defaulted(duration('How long the circuit stays open.'), '60s'),
    halfOpenMaxCalls: defaulted(integer('Trial requests while half open.', { minimum: 1, maximum: 100 }), 3),
  }),
  healthCheck,
  rateLimit: object('Per-client request rate limit of this route.', {
    requestsPerMinute: required(
      integer('Requests a client may make per minute.', { minimum: 1, maximum: 1_000_000 }),
    ),
    burst: integer('Requests allowed above the rate in a burst.', { minimum: 0, maximum: 100_000 }),
  }),
  wafRuleSetRefs: array(
    'WafRuleSets, in the namespace of this RouteConfig, applied to this route.',
    object('A WafRuleSet in the namespace of this RouteConfig.', {
      name: required(objectName('Name of the WafRuleSet.')),
    }),
    { maxItems: 8 },
    uniqueBy('name', 'wafRuleSetRefs must name each WafRuleSet once'),
  ),
});

const spec = object('The routes you want the gateways to serve.', {
  hostnames: required(
    array(
      'Host names the routes serve (1 to 16); *.example.com matches one label.',
      hostname('A DNS name such as api.example.com or *.example.com.'),
      { minItems: 1, maxItems: 16, listType: 'set' },
    ),
  ),
  tls: object('TLS for the host names.', {
    certificateRef: required(
      object('A Certificate in the namespace of this RouteConfig.', {
        name: required(objectName('Name of the Certificate.')),
      }),
    ),
  }),
  routes: required(
    array(
      'Routes, the most specific match wins (1 to 64).',
      route,
      { minItems: 1, maxItems: 64 },
      uniqueBy('name', 'route names must be unique'),
    ),
  ),
  revisionHistoryLimit: defaulted(
    integer(
      'Valid versions kept, besides the one in service, as ConfigMaps owned by this RouteConfig ' +
        '(0 to 100): the newest is served when an edit is invalid, also after a restart.',
      { minimum: 0, maximum: 100 },
    ),
    1,
  ),
  gatewaySelector,
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (accepted, references resolved and programmed), Accepted (the spec is valid and does ' +
      'not conflict), ResolvedRefs (the Certificate, Services and WafRuleSets exist), Programmed ' +
      '(the selected gateways applied it)',
  ),
  gateways: gatewaysStatus,
});

export const routeConfigKind = defineKind(
  {
    kind: 'RouteConfig',
    plural: 'routeconfigs',
    singular: 'routeconfig',
    shortName: 'gwroute',
    description:
      'RouteConfig is a set of routes for some host names: matches, backends, load balancing, ' +
      'health checks, circuit breaking, rate limits and WAF rule sets, pushed to the selected gateways.',
    printerColumns: [
      conditionColumn('Ready', 'Whether the routes are accepted and programmed.'),
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hostnames', description: 'Host names served.' },
      {
        name: 'Synced',
        type: 'string',
        jsonPath: '.status.gateways.summary',
        description: 'Gateways that applied the routes / gateways selected.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type RouteConfig = TypeOf<typeof routeConfigKind.root>;
export type RouteConfigSpec = TypeOf<typeof spec>;
export type RouteConfigStatus = TypeOf<typeof status>;
export type Route = TypeOf<typeof route>;
export type Backend = TypeOf<typeof backend>;

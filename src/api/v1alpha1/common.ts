/** Field shapes shared by the kinds: durations, names, references, selectors and status. */
import { DNS_SUBDOMAIN, HOSTNAME, celString, matches } from './checks/names.js';
import {
  DURATION_HINT,
  DURATION_PATTERN,
  durationProblem,
  isDurationSyntax,
  parseDuration,
} from './checks/duration.js';
import {
  array,
  cel,
  celExplained,
  defaulted,
  enumeration,
  integer,
  map,
  object,
  offline,
  required,
  string,
  type Rule,
} from './schema/builder.js';

/** A Go duration; the CEL pattern on the server, plus the overflow check offline. */
export function duration(description: string, ...rules: Rule<string>[]) {
  return string(
    `${description} A Go duration such as 720h, 90m or 1h30m.`,
    { maxLength: 32 },
    cel(`self.matches(${celString(DURATION_PATTERN)})`, DURATION_HINT, isDurationSyntax),
    offline((self) => (isDurationSyntax(self) ? durationProblem(self) : undefined)),
    ...rules,
  );
}

/**
 * A rule comparing a duration field to a bound, written so it stays silent (instead of failing
 * to evaluate) when the pattern rule above already rejected the value.
 */
export function durationBound(
  celComparison: string,
  message: string,
  holds: (nanos: bigint) => boolean,
): Rule<string> {
  return cel(`!self.matches(${celString(DURATION_PATTERN)}) || ${celComparison}`, message, (self) => {
    // An overflowing value is the pattern rule's offline twin's problem, not this bound's.
    const nanos = parseDuration(self);
    return nanos === undefined || holds(nanos);
  });
}

export const HOUR = 3_600_000_000_000n;

export function objectName(description: string) {
  return string(
    description,
    { maxLength: 253, minLength: 1 },
    cel(
      `self.matches(${celString(DNS_SUBDOMAIN)})`,
      "must be a lowercase RFC 1123 name: letters, digits, '-' and '.'",
      (self) => matches(DNS_SUBDOMAIN, self),
    ),
  );
}

export function hostname(description: string) {
  return string(
    description,
    { maxLength: 253 },
    cel(
      `self.matches(${celString(HOSTNAME)})`,
      'must be a lowercase DNS name such as app.example.com, optionally starting with *.',
      (self) => matches(HOSTNAME, self),
    ),
  );
}

export const secretKeySelector = (description: string) =>
  object(description, {
    name: required(objectName('Name of the Secret, in the namespace of this resource.')),
    key: required(
      string('Key of the entry in the Secret that holds the value.', { maxLength: 253, minLength: 1 }),
    ),
  });

/** metav1.LabelSelector, bounded. */
export const labelSelector = (description: string) =>
  object(description, {
    matchLabels: map('Labels a gateway pod must all have.', string('Label value.', { maxLength: 63 }), {
      maxProperties: 32,
    }),
    matchExpressions: array(
      'Label requirements a gateway pod must all meet.',
      object(
        'One label requirement.',
        {
          key: required(string('Label key.', { maxLength: 317, minLength: 1 })),
          operator: required(
            enumeration('How the key relates to the values.', ['In', 'NotIn', 'Exists', 'DoesNotExist']),
          ),
          values: array('Label values.', string('Label value.', { maxLength: 63 }), { maxItems: 64 }),
        },
        cel(
          "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
          'values must be set for In and NotIn and left empty for Exists and DoesNotExist',
          (self) =>
            self.operator === 'In' || self.operator === 'NotIn'
              ? (self.values?.length ?? 0) > 0
              : (self.values?.length ?? 0) === 0,
          { fieldPath: '.values' },
        ),
      ),
      { maxItems: 16 },
    ),
  });

export const gatewaySelector = labelSelector(
  'Which gateway pods receive this resource. Unset: the gateways the operator is configured to ' +
    'select (its GATEWAY_SELECTOR).',
);

/** metav1.Condition, as in k8s.io/apimachinery, so kstatus, Flux and Argo CD read it unchanged. */
const condition = object('A condition in metav1.Condition form.', {
  type: required(string('Type of condition in CamelCase, e.g. Ready.', { maxLength: 316, minLength: 1 })),
  status: required(enumeration('Status of the condition.', ['True', 'False', 'Unknown'])),
  observedGeneration: integer('The metadata.generation the condition was computed from.', { minimum: 0 }),
  lastTransitionTime: required(
    string('When the status last changed.', { maxLength: 64, format: 'date-time' }),
  ),
  reason: required(
    string('Machine-readable reason for the last transition, in CamelCase.', {
      maxLength: 1024,
      minLength: 1,
    }),
  ),
  message: required(string('Human-readable details about the last transition.', { maxLength: 32768 })),
});

export function conditions(types: string) {
  return array(`Current state, as conditions: ${types}.`, condition, {
    maxItems: 16,
    listType: 'map',
    listMapKeys: ['type'],
  });
}

export const observedGeneration = integer(
  'The metadata.generation the status describes; when it differs from metadata.generation the ' +
    'operator has not processed the latest spec yet.',
  { minimum: 0 },
);

export const gatewaysStatus = object('How many selected gateway pods have applied this resource.', {
  selected: defaulted(integer('Gateway pods this resource is sent to.', { minimum: 0 }), 0),
  synced: defaulted(integer('Gateway pods that acknowledged the current revision.', { minimum: 0 }), 0),
  failed: defaulted(integer('Gateway pods that rejected the current revision.', { minimum: 0 }), 0),
  summary: string('"synced/selected", e.g. "3/3"; shown in the Synced column.', { maxLength: 32 }),
});

export const timestamp = (description: string) =>
  string(`${description} RFC 3339.`, { maxLength: 64, format: 'date-time' });

/**
 * Items of a list must differ in `key`. CEL has no set or distinct() here, so the rule is the
 * quadratic all/exists_one; the list's maxItems keeps its estimated cost inside the budget.
 * Offline, the message also names the repeated values.
 */
export function uniqueBy<T>(key: string & keyof T, message: string): Rule<T[]> {
  return celExplained(`self.all(x, self.exists_one(y, y.${key} == x.${key}))`, message, (self) => {
    const values = self.map((item) => String(item[key]));
    const twice = [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
    return twice.length ? `${twice.map((v) => JSON.stringify(v)).join(', ')} used more than once` : undefined;
  });
}

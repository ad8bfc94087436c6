/**
 * NotificationChannel (gwchannel): where notifications go — a webhook (Alertmanager's JSON, signed
 * with HMAC-SHA256), Slack, Microsoft Teams, PagerDuty or e-mail — with its rate limit and retry
 * policy. Flux's Provider and an Alertmanager receiver in one. Credentials (webhook URLs that
 * embed a token, routing keys, SMTP passwords, signing keys) only ever come from Secrets.
 */
import { conditions, duration, durationBound, objectName, observedGeneration, timestamp } from './common.js';
import { DURATION_PATTERN, parseDuration } from './checks/duration.js';
import { celString } from './checks/names.js';
import {
  array,
  boolean,
  cel,
  defaulted,
  enumeration,
  integer,
  object,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

export const CHANNEL_TYPES = ['webhook', 'slack', 'msteams', 'pagerduty', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

const SECOND = 1_000_000_000n;

function httpUrl(description: string) {
  return string(
    description,
    { maxLength: 2048 },
    cel(
      "(self.startsWith('https://') || self.startsWith('http://')) && isURL(self)",
      'must be an http:// or https:// URL',
      (self) => (self.startsWith('https://') || self.startsWith('http://')) && URL.canParse(self),
    ),
  );
}

const secretRef = (description: string) =>
  object(description, {
    name: required(objectName('Name of the Secret, in the namespace of this channel.')),
    key: required(string('Key of the entry in the Secret.', { maxLength: 253, minLength: 1 })),
  });

const caBundle = string(
  "Base64 PEM bundle of CAs to trust for the receiver's TLS; the system roots when unset.",
  {
    maxLength: 65536,
    format: 'byte',
  },
);

const webhook = object(
  "POSTs Alertmanager's webhook payload (version 4) as JSON. Set exactly one of url or urlSecretRef.",
  {
    url: httpUrl('The receiver, when its URL holds no secret.'),
    urlSecretRef: secretRef('Secret entry holding the URL, when it embeds a token.'),
    hmacSecretRef: secretRef(
      'Secret entry holding a key: each request then carries X-Signature: sha256=<hex HMAC-SHA256 of the body>.',
    ),
    caBundle,
  },
  cel(
    'has(self.url) != has(self.urlSecretRef)',
    'set exactly one of url or urlSecretRef',
    (self) => (self.url !== undefined) !== (self.urlSecretRef !== undefined),
  ),
);

const slack = object('A Slack incoming webhook.', {
  urlSecretRef: required(secretRef('Secret entry holding the incoming-webhook URL (it embeds the token).')),
  channel: string('Channel to post to, for webhooks that allow overriding it.', { maxLength: 80 }),
  username: string('Name to post as, for webhooks that allow overriding it.', { maxLength: 80 }),
});

const msteams = object(
  'A Microsoft Teams webhook (Workflows or an incoming-webhook connector); posts an Adaptive Card.',
  {
    urlSecretRef: required(secretRef('Secret entry holding the webhook URL (it embeds the token).')),
  },
);

const pagerduty = object('PagerDuty Events API v2: one alert per group, resolved when the group resolves.', {
  routingKeySecretRef: required(secretRef('Secret entry holding the integration (routing) key.')),
  url: defaulted(httpUrl('The Events API endpoint.'), 'https://events.pagerduty.com/v2/enqueue'),
});

const email = object(
  'E-mail through an SMTP server, with STARTTLS (or implicit TLS) and authentication from a Secret.',
  {
    host: required(string('SMTP server host name or IP address.', { maxLength: 253, minLength: 1 })),
    port: defaulted(
      integer('SMTP port: 587 for STARTTLS, 465 for implicit TLS.', { minimum: 1, maximum: 65535 }),
      587,
    ),
    tls: defaulted(
      enumeration(
        'StartTLS: upgrade with STARTTLS and refuse a server that does not offer it. TLS: implicit TLS from the first byte (port 465). None: plain text, for a relay on the same host only.',
        ['StartTLS', 'TLS', 'None'],
      ),
      'StartTLS',
    ),
    authSecretRef: object('Secret holding the SMTP credentials.', {
      name: required(objectName('Name of the Secret, in the namespace of this channel.')),
      usernameKey: defaulted(string('Key of the user name.', { maxLength: 253, minLength: 1 }), 'username'),
      passwordKey: defaulted(string('Key of the password.', { maxLength: 253, minLength: 1 }), 'password'),
    }),
    from: required(string('Sender address.', { maxLength: 254, format: 'email' })),
    to: required(
      array('Recipients.', string('A recipient address.', { maxLength: 254, format: 'email' }), {
        minItems: 1,
        maxItems: 50,
        listType: 'set',
      }),
    ),
    subjectPrefix: string('Put before every subject, e.g. "[gateway] ".', { maxLength: 64 }),
    caBundle,
  },
  cel(
    "self.tls != 'None' || !has(self.authSecretRef)",
    'authSecretRef needs tls StartTLS or TLS: a password is never sent in clear text',
    (self) => self.tls !== 'None' || self.authSecretRef === undefined,
    { fieldPath: '.tls' },
  ),
);

const rateLimit = object(
  'At most this many notifications leave through the channel; the rest wait their turn.',
  {
    perMinute: defaulted(integer('Notifications per minute, sustained.', { minimum: 1, maximum: 6000 }), 60),
    burst: defaulted(
      integer('Notifications that may leave at once after a quiet spell.', { minimum: 1, maximum: 1000 }),
      10,
    ),
  },
);

const retry = object(
  "Retries after a failed delivery: exponential back-off, or the receiver's Retry-After when it sends one (429, 503). After maxAttempts the notification is a dead letter.",
  {
    maxAttempts: defaulted(integer('Attempts in all, the first included.', { minimum: 1, maximum: 100 }), 8),
    initialBackoff: defaulted(
      duration(
        'Wait before the second attempt; each later wait doubles.',
        durationBound(
          "duration(self) >= duration('1s')",
          'retry.initialBackoff must be at least 1s',
          (n) => n >= SECOND,
        ),
      ),
      '10s',
    ),
    maxBackoff: defaulted(duration('Longest wait between attempts.'), '10m'),
  },
  cel(
    `!self.initialBackoff.matches(${celString(DURATION_PATTERN)}) || !self.maxBackoff.matches(${celString(DURATION_PATTERN)}) || ` +
      'duration(self.initialBackoff) <= duration(self.maxBackoff)',
    'retry.initialBackoff must not be longer than maxBackoff',
    (self) => {
      const [initial, max] = [parseDuration(self.initialBackoff), parseDuration(self.maxBackoff)];
      return initial === undefined || max === undefined || initial <= max;
    },
    { fieldPath: '.initialBackoff' },
  ),
);

const spec = object(
  'Where notifications go. Set type and the section of the same name.',
  {
    type: required(enumeration('The kind of receiver.', CHANNEL_TYPES)),
    webhook,
    slack,
    msteams,
    pagerduty,
    email,
    // Whole defaults, not {}: the API server checks a default against the rules of its object
    // (the retry rule reads both backoffs) without filling the nested defaults in first.
    rateLimit: defaulted(rateLimit, { perMinute: 60, burst: 10 }),
    retry: defaulted(retry, { maxAttempts: 8, initialBackoff: '10s', maxBackoff: '10m' }),
    timeout: defaulted(
      duration(
        'How long one delivery attempt may take.',
        durationBound(
          "duration(self) >= duration('1s') && duration(self) <= duration('5m')",
          'timeout must be between 1s and 5m',
          (n) => n >= SECOND && n <= 300n * SECOND,
        ),
      ),
      '10s',
    ),
    suspend: defaulted(boolean('Hold deliveries (they wait, and are sent once resumed).'), false),
  },
  cel(
    CHANNEL_TYPES.map((t) => `(self.type == '${t}') == has(self.${t})`).join(' && '),
    'set the section named by type (e.g. spec.slack for type slack) and no other',
    (self) => CHANNEL_TYPES.every((t) => (self.type === t) === (self[t] !== undefined)),
  ),
);

const deliveries = object(
  'What happened to the notifications sent through this channel (counted since it was created).',
  {
    sent: defaulted(integer('Notifications the receiver accepted.', { minimum: 0 }), 0),
    failed: defaulted(integer('Attempts that failed (each retry counts).', { minimum: 0 }), 0),
    retried: defaulted(integer('Attempts that were retries.', { minimum: 0 }), 0),
    dead: defaulted(integer('Notifications given up on (dead letters).', { minimum: 0 }), 0),
    pending: defaulted(integer('Notifications waiting to be sent now.', { minimum: 0 }), 0),
    lastSentTime: timestamp('When a notification was last accepted.'),
    lastFailureTime: timestamp('When an attempt last failed.'),
    lastError: string('Why the last attempt failed (never a credential).', { maxLength: 1024 }),
  },
);

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions('Ready (the configuration and its Secrets are usable)'),
  deliveries,
});

export const notificationChannelKind = defineKind(
  {
    kind: 'NotificationChannel',
    plural: 'notificationchannels',
    singular: 'notificationchannel',
    shortName: 'gwchannel',
    description:
      'NotificationChannel is a receiver of notifications (webhook, Slack, Microsoft Teams, PagerDuty or e-mail) ' +
      'with its rate limit and retries; NotificationPolicies route events to it.',
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'The kind of receiver.' },
      conditionColumn('Ready', 'Whether the configuration and its Secrets are usable.'),
      {
        name: 'Sent',
        type: 'integer',
        jsonPath: '.status.deliveries.sent',
        description: 'Notifications accepted.',
      },
      {
        name: 'Dead',
        type: 'integer',
        jsonPath: '.status.deliveries.dead',
        description: 'Notifications given up on.',
      },
      {
        name: 'Last Sent',
        type: 'date',
        jsonPath: '.status.deliveries.lastSentTime',
        description: 'Last accepted.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type NotificationChannel = TypeOf<typeof notificationChannelKind.root>;
export type NotificationChannelSpec = TypeOf<typeof spec>;
export type NotificationChannelStatus = TypeOf<typeof status>;

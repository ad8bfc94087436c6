/**
 * NotificationPolicy (gwpolicy): which events go to which channels, and how they are grouped —
 * Flux's Alert and an Alertmanager route in one. Events are filtered by type, severity and label
 * matchers; grouped by labels with Alertmanager's groupWait, groupInterval and repeatInterval
 * (and defaults); and sent to channels in the policy's namespace. A policy outside the operator's
 * namespace only sees events about its own namespace.
 */
import {
  conditions,
  duration,
  durationBound,
  objectName,
  observedGeneration,
  timestamp,
  uniqueBy,
} from './common.js';
import { DURATION_PATTERN, parseDuration } from './checks/duration.js';
import { celString, matches } from './checks/names.js';
import { EVENT_TYPE_NAMES, SEVERITIES } from './notification-event-types.js';
import {
  array,
  boolean,
  cel,
  defaulted,
  enumeration,
  integer,
  object,
  offline,
  required,
  string,
  type TypeOf,
} from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

/** A Prometheus label name. */
export const LABEL_NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
export const MATCH_OPERATORS = ['=', '!=', '=~', '!~'] as const;

const ROUTED_TYPES = EVENT_TYPE_NAMES.filter((t) => t !== 'NotificationTest');

const labelName = (description: string) =>
  string(
    description,
    { maxLength: 128, minLength: 1 },
    cel(
      `self.matches(${celString(LABEL_NAME)})`,
      'must be a label name: letters, digits and _, not starting with a digit',
      (self) => matches(LABEL_NAME, self),
    ),
  );

const matcher = object(
  'One label condition, as in Alertmanager: = and != compare, =~ and !~ match a regular expression anchored at both ends. A missing label reads as "".',
  {
    label: required(labelName('The label, e.g. namespace, name, alertname, severity, host, route.')),
    operator: required(enumeration('How the label compares with value.', MATCH_OPERATORS)),
    value: required(string('The value, or the regular expression for =~ and !~.', { maxLength: 1024 })),
  },
  offline(
    (self) => {
      if (self.operator !== '=~' && self.operator !== '!~') return undefined;
      try {
        new RegExp(`^(?:${self.value})$`, 'u');
        return undefined;
      } catch (error) {
        return `value is not a valid regular expression: ${(error as Error).message}`;
      }
    },
    { fieldPath: '.value' },
  ),
);

const positive = (field: string) =>
  durationBound("duration(self) > duration('0s')", `${field} must be longer than 0s`, (n) => n > 0n);

const spec = object(
  'Which events to send to which channels, and how to group them.',
  {
    channels: required(
      array(
        'NotificationChannels in this namespace that receive every group of this policy.',
        object('A channel reference.', { name: required(objectName('Name of the NotificationChannel.')) }),
        { minItems: 1, maxItems: 16 },
        uniqueBy('name', 'channel names must be unique'),
      ),
    ),
    eventTypes: array(
      'Event types to send; every type when empty. See docs/notifications.md for what each means.',
      enumeration('An event type.', ROUTED_TYPES),
      { maxItems: 32, listType: 'set' },
    ),
    severities: array(
      'Severities to send; every severity when empty.',
      enumeration('A severity.', SEVERITIES),
      {
        maxItems: 3,
        listType: 'set',
      },
    ),
    matchers: array('Label conditions an event must all meet.', matcher, { maxItems: 16 }),
    groupBy: defaulted(
      array(
        'Labels whose values make a group: events with the same values are sent together. "..." groups by every label (each event alone).',
        string(
          'A label name, or "...".',
          { maxLength: 128, minLength: 1 },
          cel(
            `self == '...' || self.matches(${celString(LABEL_NAME)})`,
            'groupBy entries must be label names or "..."',
            (self) => self === '...' || matches(LABEL_NAME, self),
          ),
        ),
        { maxItems: 16, listType: 'set' },
      ),
      ['alertname', 'namespace'],
    ),
    groupWait: defaulted(
      duration('How long a new group waits for more events before its first notification.'),
      '30s',
    ),
    groupInterval: defaulted(
      duration('How long between notifications about a group that changed.', positive('groupInterval')),
      '5m',
    ),
    repeatInterval: defaulted(
      // At least groupInterval (the rule below), which is itself above 0s.
      duration('How long before a notification that changed nothing is sent again.'),
      '4h',
    ),
    sendResolved: defaulted(boolean('Also notify when events resolve.'), true),
    suspend: defaulted(
      boolean('Route nothing while true (events of the meantime are not sent later).'),
      false,
    ),
  },
  cel(
    `!self.groupInterval.matches(${celString(DURATION_PATTERN)}) || !self.repeatInterval.matches(${celString(DURATION_PATTERN)}) || ` +
      'duration(self.repeatInterval) >= duration(self.groupInterval)',
    'repeatInterval must not be shorter than groupInterval',
    (self) => {
      const [group, repeat] = [parseDuration(self.groupInterval), parseDuration(self.repeatInterval)];
      return group === undefined || repeat === undefined || repeat >= group;
    },
    { fieldPath: '.repeatInterval' },
  ),
);

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions('Ready (every channel exists and is ready)'),
  activeGroups: integer('Groups of events this policy tracks now.', { minimum: 0 }),
  lastNotificationTime: timestamp('When this policy last sent a notification.'),
});

export const notificationPolicyKind = defineKind(
  {
    kind: 'NotificationPolicy',
    plural: 'notificationpolicies',
    singular: 'notificationpolicy',
    shortName: 'gwpolicy',
    description:
      'NotificationPolicy routes events (certificates expiring, WAF roll-backs, gateways out of sync, failed jobs, ...) ' +
      'to NotificationChannels, grouped and deduplicated the way Alertmanager does.',
    printerColumns: [
      conditionColumn('Ready', 'Whether every channel exists and is ready.'),
      {
        name: 'Groups',
        type: 'integer',
        jsonPath: '.status.activeGroups',
        description: 'Groups tracked now.',
      },
      {
        name: 'Last Notified',
        type: 'date',
        jsonPath: '.status.lastNotificationTime',
        description: 'When a notification last left.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type NotificationPolicy = TypeOf<typeof notificationPolicyKind.root>;
export type NotificationPolicySpec = TypeOf<typeof spec>;

/**
 * ThreatAllowlist (gwallow): addresses no deny list may ever block — not a feed, not a decision
 * a scenario takes, not a manual one. The operator removes them from every IP deny list it
 * pushes, whatever its source and whichever gateways it goes to. Listed inline or in ConfigMaps.
 */
import { conditions, objectName, observedGeneration } from './common.js';
import { IP_OR_CIDR_HINT, isCIDR, isIP } from './checks/network.js';
import { array, cel, integer, object, required, string, type TypeOf } from './schema/builder.js';
import { ageColumn, conditionColumn, defineKind } from './schema/kind.js';

/** On a ConfigMap an allowlist may read: without it the operator does not see the ConfigMap. */
export const ALLOWLIST_CONFIGMAP_LABEL = 'gateway.awesomeapi.com.br/threat-allowlist';

const spec = object('Addresses and CIDRs that are never denied.', {
  cidrs: array(
    'Addresses and CIDRs never denied (at most 4096).',
    string(
      'An IPv4 or IPv6 address or CIDR.',
      { maxLength: 64 },
      cel('isIP(self) || isCIDR(self)', IP_OR_CIDR_HINT, (self) => isIP(self) || isCIDR(self)),
    ),
    { maxItems: 4096, listType: 'set' },
  ),
  configMapRefs: array(
    `ConfigMaps in this namespace holding more, one address or CIDR per line ("#" starts a comment). ` +
      `Each must carry the label ${ALLOWLIST_CONFIGMAP_LABEL}: "true" (the operator watches only those).`,
    object('One ConfigMap entry.', {
      name: required(objectName('Name of the ConfigMap.')),
      key: required(string('Key of the entry holding the list.', { maxLength: 253, minLength: 1 })),
    }),
    { maxItems: 16 },
  ),
});

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (every listed address and ConfigMap was read and applies to every deny list)',
  ),
  entries: integer('Addresses and CIDRs in force from this allowlist.', { minimum: 0 }),
  invalidEntries: integer('Lines of the ConfigMaps that are not addresses or CIDRs (ignored).', {
    minimum: 0,
  }),
});

export const threatAllowlistKind = defineKind(
  {
    kind: 'ThreatAllowlist',
    plural: 'threatallowlists',
    singular: 'threatallowlist',
    shortName: 'gwallow',
    description:
      'ThreatAllowlist lists addresses no IP deny list may block, whatever its source (threat feeds, ' +
      'decisions); the operator removes them from every deny list it pushes.',
    printerColumns: [
      conditionColumn('Ready', 'Every entry and ConfigMap was read.'),
      {
        name: 'Entries',
        type: 'integer',
        jsonPath: '.status.entries',
        description: 'Addresses and CIDRs in force.',
      },
      ageColumn,
    ],
  },
  spec,
  status,
);

export type ThreatAllowlist = TypeOf<typeof threatAllowlistKind.root>;
export type ThreatAllowlistSpec = TypeOf<typeof spec>;
export type ThreatAllowlistStatus = TypeOf<typeof status>;

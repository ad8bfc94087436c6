/**
 * Certificate (gwcert): a TLS certificate the operator obtains from an ACME server, stores in a
 * kubernetes.io/tls Secret and pushes to the selected gateway pods.
 */
import {
  HOUR,
  conditions,
  duration,
  durationBound,
  gatewaySelector,
  gatewaysStatus,
  hostname,
  objectName,
  observedGeneration,
  secretKeySelector,
  timestamp,
} from './common.js';
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

const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

function httpsUrl(description: string) {
  return string(
    description,
    { maxLength: 2048 },
    cel(
      "self.startsWith('https://') && isURL(self)",
      'must be an https:// URL',
      (self) => self.startsWith('https://') && URL.canParse(self),
    ),
  );
}

function countSet(...present: boolean[]): number {
  return present.filter(Boolean).length;
}

const rfc2136 = object(
  'Updates a DNS server with RFC 2136 dynamic updates (BIND, Knot, PowerDNS, ...).',
  {
    nameserver: required(
      string('The DNS server to update, as host or host:port (port 53 by default).', {
        maxLength: 261,
        minLength: 1,
      }),
    ),
    tsigKeyName: string('Name of the TSIG key the server expects.', { maxLength: 253 }),
    tsigAlgorithm: defaulted(
      enumeration('TSIG algorithm.', ['HMACMD5', 'HMACSHA1', 'HMACSHA256', 'HMACSHA512']),
      'HMACSHA256',
    ),
    tsigSecretSecretRef: secretKeySelector('Secret entry holding the base64 TSIG secret.'),
  },
  cel(
    'has(self.tsigKeyName) == has(self.tsigSecretSecretRef)',
    'tsigKeyName and tsigSecretSecretRef must be set together',
    (self) => (self.tsigKeyName !== undefined) === (self.tsigSecretSecretRef !== undefined),
    { fieldPath: '.tsigKeyName' },
  ),
);

const cloudflare = object('Creates the TXT records through the Cloudflare API.', {
  apiTokenSecretRef: required(
    secretKeySelector('Secret entry holding an API token with Zone:DNS:Edit permission.'),
  ),
});

const route53 = object(
  'Creates the TXT records in AWS Route 53.',
  {
    region: required(
      string('AWS region of the Route 53 API, e.g. us-east-1.', { maxLength: 64, minLength: 1 }),
    ),
    hostedZoneID: string('Hosted zone to use; found from the DNS name when unset.', { maxLength: 128 }),
    accessKeyID: string('Access key id; the ambient AWS credentials are used when unset.', {
      maxLength: 128,
    }),
    secretAccessKeySecretRef: secretKeySelector('Secret entry holding the secret access key.'),
  },
  cel(
    'has(self.accessKeyID) == has(self.secretAccessKeySecretRef)',
    'accessKeyID and secretAccessKeySecretRef must be set together',
    (self) => (self.accessKeyID !== undefined) === (self.secretAccessKeySecretRef !== undefined),
    { fieldPath: '.accessKeyID' },
  ),
);

const webhook = object(
  'Calls your HTTPS endpoint to present and clean up the TXT record: POST with a JSON body ' +
    '{"action": "present"|"cleanup", "fqdn", "value"}.',
  {
    url: required(httpsUrl('The endpoint to call.')),
    authSecretRef: secretKeySelector('Secret entry sent as a Bearer token in the Authorization header.'),
  },
);

const dns01 = object(
  'Proves control of the names with a TXT record at _acme-challenge.<name>. Required for ' +
    'wildcard names. Set exactly one provider.',
  { rfc2136, cloudflare, route53, webhook },
  cel(
    '[has(self.rfc2136), has(self.cloudflare), has(self.route53), has(self.webhook)].filter(x, x).size() == 1',
    'exactly one of rfc2136, cloudflare, route53 or webhook must be set',
    (self) => countSet(!!self.rfc2136, !!self.cloudflare, !!self.route53, !!self.webhook) === 1,
  ),
);

const solver = object(
  'How to prove control of the names to the ACME server. Set exactly one of http01 or dns01.',
  {
    http01: object(
      'The selected gateways answer /.well-known/acme-challenge/ on port 80 themselves; ' +
        'nothing else to configure. Cannot validate wildcard names.',
      {},
    ),
    dns01,
  },
  cel(
    '[has(self.http01), has(self.dns01)].filter(x, x).size() == 1',
    'exactly one of http01 or dns01 must be set',
    (self) => countSet(!!self.http01, !!self.dns01) === 1,
  ),
);

const acme = object('The ACME server and account to obtain the certificate from.', {
  server: defaulted(httpsUrl("ACME directory URL. Default: Let's Encrypt production."), LETS_ENCRYPT),
  email: string('Contact e-mail for the ACME account (expiry notices).', { maxLength: 254, format: 'email' }),
  caBundle: string(
    "Base64 PEM bundle of CAs to trust for the ACME server's TLS; the system roots when unset.",
    { maxLength: 65536, format: 'byte' },
  ),
  externalAccountBinding: object('External account binding, for ACME servers that require one.', {
    keyID: required(string('Key identifier given by the CA.', { maxLength: 256, minLength: 1 })),
    keySecretRef: required(secretKeySelector('Secret entry holding the base64url MAC key given by the CA.')),
  }),
  profile: string(
    'ACME certificate profile to request (e.g. "tlsserver", "shortlived"), if the server offers profiles.',
    {
      maxLength: 64,
      minLength: 1,
    },
  ),
  solver: required(solver),
});

const privateKey = object(
  'The private key of the certificate.',
  {
    algorithm: defaulted(enumeration('Key algorithm.', ['ECDSA', 'RSA']), 'ECDSA'),
    size: integer(
      'Key size: 256 or 384 for ECDSA (default 256), 2048, 3072 or 4096 for RSA (default 2048).',
      {
        minimum: 256,
        maximum: 4096,
      },
    ),
    rotationPolicy: defaulted(
      enumeration('Always: a new key on every renewal. Never: keep the key while its settings match.', [
        'Always',
        'Never',
      ]),
      'Always',
    ),
  },
  cel(
    "!has(self.size) || (self.algorithm == 'ECDSA' ? self.size in [256, 384] : self.size in [2048, 3072, 4096])",
    'size must be 256 or 384 for ECDSA and 2048, 3072 or 4096 for RSA',
    (self) =>
      self.size === undefined ||
      (self.algorithm === 'ECDSA' ? [256, 384] : [2048, 3072, 4096]).includes(self.size),
    { fieldPath: '.size' },
  ),
);

const temporaryCertificate = object(
  'A certificate signed by a throwaway CA that the gateways serve while the real one is pending, ' +
    'so HTTPS answers (with a browser warning) instead of failing the handshake.',
  {
    enabled: defaulted(boolean('Issue a temporary certificate while the real one is pending.'), true),
    after: defaulted(
      duration('How long to wait for the real certificate before issuing a temporary one.'),
      '1m',
    ),
    validity: defaulted(
      duration(
        'Lifetime of a temporary certificate; at most 336h (14 days).',
        durationBound(
          "duration(self) >= duration('1h') && duration(self) <= duration('336h')",
          'temporaryCertificate.validity must be between 1h and 336h (14 days)',
          (nanos) => nanos >= HOUR && nanos <= 336n * HOUR,
        ),
      ),
      '168h',
    ),
  },
);

const spec = object(
  'The certificate you want.',
  {
    secretName: required(
      objectName(
        'Name of the kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) the certificate is stored in.',
      ),
    ),
    dnsNames: required(
      array(
        'DNS names the certificate is valid for (1 to 100). A name starting with *. is a wildcard ' +
          'and needs the dns01 solver.',
        hostname('A DNS name such as app.example.com or *.example.com.'),
        { minItems: 1, maxItems: 100, listType: 'set' },
      ),
    ),
    acme: required(acme),
    privateKey: defaulted(privateKey, {}),
    renewBefore: defaulted(
      duration(
        "How long before expiry to renew. Default 720h, the gateway's 30-day renewal threshold.",
        durationBound("duration(self) > duration('0s')", 'renewBefore must be longer than 0s', (n) => n > 0n),
      ),
      '720h',
    ),
    temporaryCertificate: defaulted(temporaryCertificate, {}),
    gatewaySelector,
  },
  cel(
    "!self.dnsNames.exists(n, n.startsWith('*.')) || has(self.acme.solver.dns01)",
    'wildcard dnsNames (*.example.com) need the dns01 solver: HTTP-01 cannot validate them',
    (self) => !self.dnsNames.some((n) => n.startsWith('*.')) || self.acme.solver.dns01 !== undefined,
    { fieldPath: '.dnsNames' },
  ),
);

const status = object('What the operator observed and did; written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready (a valid certificate is in the Secret), Issuing (a certificate is needed: why, and how the attempt stands), ' +
      'Temporary (the Secret holds a temporary certificate)',
  ),
  notBefore: timestamp('Start of validity of the stored certificate.'),
  notAfter: timestamp('End of validity of the stored certificate.'),
  renewalTime: timestamp('When the operator will renew the certificate.'),
  serialNumber: string('Serial number of the stored certificate, in hex.', { maxLength: 128 }),
  fingerprintSHA256: string('SHA-256 fingerprint of the stored certificate, in hex.', { maxLength: 128 }),
  revision: integer('Increments each time a new certificate is stored.', { minimum: 0 }),
  order: object('The ACME order in progress or last completed.', {
    url: string('URL of the order at the ACME server.', { maxLength: 2048 }),
    state: enumeration('State of the order (RFC 8555).', [
      'pending',
      'ready',
      'processing',
      'valid',
      'invalid',
    ]),
  }),
  failedIssuanceAttempts: integer('Consecutive failed issuance attempts; reset on success.', { minimum: 0 }),
  transientFailures: integer(
    'How many of failedIssuanceAttempts were transient (the ACME server unreachable, failing or not answering); those retry on the short back-off.',
    { minimum: 0 },
  ),
  lastFailureTime: timestamp('When issuance last failed.'),
  lastFailureMessage: string('Why issuance last failed.', { maxLength: 32768 }),
  nextRetryTime: timestamp(
    'When the operator retries after a failure (exponential back-off); unset after a failure no retry can fix.',
  ),
  gateways: gatewaysStatus,
});

export const certificateKind = defineKind(
  {
    kind: 'Certificate',
    plural: 'certificates',
    singular: 'certificate',
    shortName: 'gwcert',
    description:
      "Certificate is a TLS certificate obtained from an ACME server (such as Let's Encrypt), kept " +
      'in a kubernetes.io/tls Secret, renewed before it expires and pushed to the selected gateways.',
    printerColumns: [
      conditionColumn('Ready', 'Whether a valid certificate is in the Secret.'),
      { name: 'Secret', type: 'string', jsonPath: '.spec.secretName', description: 'The Secret holding it.' },
      // A string, not a date: kubectl prints a future date column as "<invalid>".
      { name: 'Expires', type: 'string', jsonPath: '.status.notAfter', description: 'End of validity.' },
      conditionColumn('Temporary', 'Whether a temporary certificate is being served.'),
      ageColumn,
    ],
  },
  spec,
  status,
);

export type Certificate = TypeOf<typeof certificateKind.root>;
export type CertificateSpec = TypeOf<typeof spec>;
export type CertificateStatus = TypeOf<typeof status>;

/**
 * The key size a Certificate asks for. The schema cannot default `size` per algorithm, so the
 * defaults its description promises live here, next to it, and nowhere else.
 */
export function keySize(privateKey: CertificateSpec['privateKey']): number {
  return privateKey.size ?? (privateKey.algorithm === 'ECDSA' ? 256 : 2048);
}

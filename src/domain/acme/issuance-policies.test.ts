import { expect } from 'chai';
import type { Certificate } from '../../api/v1alpha1/certificate.js';
import { describeCertificate } from '../certs/describe.js';
import { generatePrivateKey } from '../certs/keys.js';
import type { StoredSecret } from '../certs/secret.js';
import { T0 } from '../certs/pki.test-support.js';
import {
  DAY,
  certificate,
  edited,
  sharedKey,
  storedFor,
  withDnsNames,
  withPrivateKey,
  withRenewBefore,
  withServer,
  withStatus,
} from './builders.test-support.js';
import { issuanceDecision, plannedRenewalTime, type IssuanceReason } from './issuance-policies.js';

const at = (ms: number): Date => new Date(T0.getTime() + ms);
const NOTAFTER = 'gateway.awesomeapi.com.br/not-after';

interface Case {
  readonly name: string;
  readonly cert: Certificate;
  readonly secret: (cert: Certificate) => Promise<StoredSecret | undefined>;
  readonly now?: Date;
  readonly reason: IssuanceReason;
  readonly message?: RegExp;
}

describe('issuance policies', () => {
  let rsaKey: string;
  before(async () => {
    rsaKey = await generatePrivateKey({ algorithm: 'RSA', size: 2048 });
  });

  const fresh = (cert: Certificate) => storedFor(cert);
  const cases: Case[] = [
    {
      name: 'issues when the Secret does not exist',
      cert: certificate('c1'),
      secret: () => Promise.resolve(undefined),
      reason: 'DoesNotExist',
      message: /^Secret c1-tls does not exist$/,
    },
    {
      name: 'issues when tls.key is missing',
      cert: certificate('c1'),
      secret: async (c) => edited(await fresh(c), { data: { 'tls.key': undefined } }),
      reason: 'MissingData',
      message: /has no tls\.key/,
    },
    {
      name: 'issues when both entries are empty',
      cert: certificate('c1'),
      secret: async (c) => edited(await fresh(c), { data: { 'tls.key': '', 'tls.crt': ' ' } }),
      reason: 'MissingData',
      message: /has no tls\.crt and no tls\.key/,
    },
    {
      name: 'issues when tls.crt does not parse',
      cert: certificate('c1'),
      secret: async (c) => edited(await fresh(c), { data: { 'tls.crt': 'garbage' } }),
      reason: 'InvalidCertificate',
      message: /no PEM certificate in tls\.crt/,
    },
    {
      name: 'issues when tls.key belongs to another certificate',
      cert: certificate('c1'),
      secret: async (c) => edited(await fresh(c), { data: { 'tls.key': rsaKey } }),
      reason: 'KeyMismatch',
      message: /does not belong to the certificate/,
    },
    {
      name: 'issues when the certificate-name annotation was removed by hand',
      cert: certificate('c1'),
      secret: async (c) =>
        edited(await fresh(c), { annotations: { 'gateway.awesomeapi.com.br/certificate-name': undefined } }),
      reason: 'ManuallyEdited',
      message: /certificate-name annotation is missing/,
    },
    {
      name: 'issues when tls.crt was swapped for another certificate by hand',
      cert: certificate('c1'),
      secret: async (c) => {
        const other = await storedFor(c, { notBefore: at(DAY) });
        return edited(await fresh(c), { data: { 'tls.crt': other.data['tls.crt'] } });
      },
      reason: 'ManuallyEdited',
      message: /not the certificate its not-after annotation describes/,
    },
    {
      name: 'issues when a temporary annotation was flipped by hand',
      cert: certificate('c1'),
      secret: async (c) =>
        edited(await fresh(c), { annotations: { 'gateway.awesomeapi.com.br/temporary': 'true' } }),
      reason: 'ManuallyEdited',
    },
    {
      name: 'issues when the Secret holds another certificate than status recorded under the same revision',
      cert: certificate('c1', withStatus({ revision: 1, fingerprintSHA256: 'ab'.repeat(32) })),
      secret: fresh,
      reason: 'ManuallyEdited',
      message: /not the certificate stored as revision 1/,
    },
    {
      name: 'does not call a newer revision than status an edit (a crash between the two writes)',
      cert: certificate('c1', withStatus({ revision: 1, fingerprintSHA256: 'ab'.repeat(32) })),
      secret: (c) => storedFor(c, { revision: 2 }),
      now: at(DAY),
      reason: 'UpToDate',
    },
    {
      name: 'issues when dnsNames changed',
      cert: certificate('c1', withDnsNames('a.example', 'b.example')),
      secret: (c) => storedFor(c, { dnsNames: ['a.example'] }),
      reason: 'SecretMismatch',
      message: /dnsNames changed from a\.example to a\.example, b\.example/,
    },
    {
      name: 'does not issue when dnsNames only changed order',
      cert: certificate('c1', withDnsNames('b.example', 'a.example')),
      secret: (c) => storedFor(c, { dnsNames: ['a.example', 'b.example'] }),
      now: at(DAY),
      reason: 'UpToDate',
    },
    {
      name: 'issues when the ACME server changed',
      cert: certificate('c1'),
      secret: () => storedFor(certificate('c1', withServer('https://old.example/dir'))),
      reason: 'SecretMismatch',
      message: /ACME server changed from https:\/\/old\.example\/dir to https:\/\/pebble\.test:14000\/dir/,
    },
    {
      name: 'issues when the key algorithm changed',
      cert: certificate('c1', withPrivateKey({ algorithm: 'RSA' })),
      secret: fresh,
      reason: 'SecretMismatch',
      message: /the private key is ECDSA P-256 but the spec asks for RSA 2048/,
    },
    {
      name: 'issues once the renewal time has passed',
      cert: certificate('c1'),
      secret: fresh,
      now: at(60 * DAY),
      reason: 'Expiring',
      message: /renewal was due at/,
    },
    {
      name: 'issues earlier with a longer renewBefore',
      cert: certificate('c1', withRenewBefore('1200h')),
      secret: fresh,
      now: at(40 * DAY),
      reason: 'Expiring',
    },
    {
      name: 'issues when the certificate has expired',
      cert: certificate('c1'),
      secret: fresh,
      now: at(90 * DAY),
      reason: 'Expiring',
      message: /expired at 2026-04-01/,
    },
    {
      name: 'issues while a temporary certificate is served',
      cert: certificate('c1'),
      secret: (c) => storedFor(c, { temporary: true, lifetimeMs: 7 * DAY }),
      now: at(DAY),
      reason: 'TemporaryCertificate',
    },
    {
      name: 'does not issue for a valid certificate before its renewal time',
      cert: certificate('c1'),
      secret: fresh,
      now: at(58 * DAY),
      reason: 'UpToDate',
      message: /valid until 2026-04-01T00:00:00.000Z, renewal at 2026-0[23]/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const decision = issuanceDecision({
        certificateName: c.cert.metadata.name ?? '',
        spec: c.cert.spec,
        status: c.cert.status,
        secret: await c.secret(c.cert),
        now: c.now ?? at(DAY),
      });
      expect(decision.reason).to.equal(c.reason);
      expect(decision.issue).to.equal(c.reason !== 'UpToDate');
      if (c.message) expect(decision.message).to.match(c.message);
    });
  }

  it('takes status.renewalTime (e.g. from ARI) when status describes the stored certificate', async () => {
    const cert = certificate('c1');
    const secret = await storedFor(cert);
    const { fingerprintSHA256 } = describeCertificate(secret.data['tls.crt'] ?? '');
    const input = { certificateName: 'c1', spec: cert.spec, secret, now: at(10 * DAY) };
    expect(issuanceDecision({ ...input, status: {} }).reason).to.equal('UpToDate');
    const ari = { revision: 1, fingerprintSHA256, renewalTime: at(9 * DAY).toISOString() };
    expect(issuanceDecision({ ...input, status: ari }).reason).to.equal('Expiring');
    const stale = { ...ari, fingerprintSHA256: 'cd'.repeat(32), revision: 0 };
    expect(issuanceDecision({ ...input, status: stale }).reason).to.equal('UpToDate');
  });

  it('plans renewal the same way on every call, with jitter, before two thirds of the lifetime', async () => {
    const cert = certificate('c1');
    const secret = await storedFor(cert, { keyPem: await sharedKey() });
    const description = describeCertificate(secret.data['tls.crt'] ?? '');
    const first = plannedRenewalTime(cert.spec, description);
    expect(plannedRenewalTime(cert.spec, description)).to.deep.equal(first);
    expect(first.getTime()).to.be.within(at(60 * DAY - DAY).getTime(), at(60 * DAY).getTime());
  });

  it('reads a malformed not-after annotation as a hand edit', async () => {
    const cert = certificate('c1');
    const secret = edited(await storedFor(cert), { annotations: { [NOTAFTER]: 'tomorrow' } });
    const decision = issuanceDecision({
      certificateName: 'c1',
      spec: cert.spec,
      status: {},
      secret,
      now: at(DAY),
    });
    expect(decision.reason).to.equal('ManuallyEdited');
  });
});

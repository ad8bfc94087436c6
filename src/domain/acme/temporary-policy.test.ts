import { expect } from 'chai';
import type { Certificate } from '../../api/v1alpha1/certificate.js';
import { generatePrivateKey } from '../certs/keys.js';
import type { StoredSecret } from '../certs/secret.js';
import { T0 } from '../certs/pki.test-support.js';
import { DAY, HOUR, certificate, storedFor, withDnsNames, withTemporary } from './builders.test-support.js';
import { temporaryNeeded, type TemporaryReason } from './temporary-policy.js';

const at = (ms: number): Date => new Date(T0.getTime() + ms);

interface Case {
  readonly name: string;
  readonly cert: Certificate;
  readonly secret: (cert: Certificate) => Promise<StoredSecret | undefined>;
  readonly now: Date;
  readonly issuingSince?: Date;
  readonly failedIssuanceAttempts?: number;
  readonly needed: boolean;
  readonly reason: TemporaryReason;
  readonly recheckAt?: Date;
}

describe('temporary certificate policy', () => {
  const none = () => Promise.resolve(undefined);
  const real = (c: Certificate) => storedFor(c);
  const temporary = (c: Certificate) => storedFor(c, { temporary: true, lifetimeMs: 7 * DAY });
  const cases: Case[] = [
    {
      name: 'waits `after` into issuance before serving a temporary certificate',
      cert: certificate('c1'),
      secret: none,
      now: at(30_000),
      issuingSince: at(0),
      needed: false,
      reason: 'Waiting',
      recheckAt: at(60_000),
    },
    {
      name: 'serves one when no certificate exists `after` into issuance',
      cert: certificate('c1'),
      secret: none,
      now: at(60_000),
      issuingSince: at(0),
      needed: true,
      reason: 'NoValidCertificate',
    },
    {
      name: 'honours a longer `after`',
      cert: certificate('c1', withTemporary({ after: '10m' })),
      secret: none,
      now: at(5 * 60_000),
      issuingSince: at(0),
      needed: false,
      reason: 'Waiting',
      recheckAt: at(10 * 60_000),
    },
    {
      name: 'serves none when disabled',
      cert: certificate('c1', withTemporary({ enabled: false })),
      secret: none,
      now: at(DAY),
      issuingSince: at(0),
      needed: false,
      reason: 'Disabled',
    },
    {
      name: 'never replaces a valid real certificate',
      cert: certificate('c1'),
      secret: real,
      now: at(80 * DAY),
      issuingSince: at(60 * DAY),
      failedIssuanceAttempts: 5,
      needed: false,
      reason: 'ValidCertificate',
      recheckAt: at(90 * DAY),
    },
    {
      name: 'never replaces a valid real certificate, not even one lacking a newly added name',
      cert: certificate('c1', withDnsNames('a.example', 'new.example')),
      secret: (c) => storedFor(c, { dnsNames: ['a.example'] }),
      now: at(DAY),
      issuingSince: at(0),
      needed: false,
      reason: 'ValidCertificate',
    },
    {
      name: 'warns, but waits for expiry, when a real certificate is about to expire while renewal fails',
      cert: certificate('c1'),
      secret: real,
      now: at(90 * DAY - 12 * HOUR),
      issuingSince: at(60 * DAY),
      failedIssuanceAttempts: 5,
      needed: false,
      reason: 'ExpiringWhileRenewalFails',
      recheckAt: at(90 * DAY),
    },
    {
      name: 'serves one the moment a real certificate expires while renewal fails',
      cert: certificate('c1'),
      secret: real,
      now: at(90 * DAY),
      issuingSince: at(60 * DAY),
      failedIssuanceAttempts: 5,
      needed: true,
      reason: 'NoValidCertificate',
    },
    {
      name: 'serves one when the stored key does not match the certificate',
      cert: certificate('c1'),
      secret: async (c) => {
        const other = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
        const stored = await storedFor(c);
        return { ...stored, data: { ...stored.data, 'tls.key': other } };
      },
      now: at(DAY),
      issuingSince: at(0),
      needed: true,
      reason: 'NoValidCertificate',
    },
    {
      name: 'keeps a temporary certificate that is far from expiry',
      cert: certificate('c1'),
      secret: temporary,
      now: at(DAY),
      issuingSince: at(0),
      needed: false,
      reason: 'TemporaryValid',
      recheckAt: at(7 * DAY - 16.8 * HOUR),
    },
    {
      name: 'replaces a temporary certificate inside the last tenth of its life',
      cert: certificate('c1'),
      secret: temporary,
      now: at(7 * DAY - 16 * HOUR),
      issuingSince: at(0),
      needed: true,
      reason: 'TemporaryExpiring',
    },
    {
      name: 'replaces a temporary certificate that lacks a newly added name',
      cert: certificate('c1', withDnsNames('a.example', 'new.example')),
      secret: (c) => storedFor(c, { temporary: true, dnsNames: ['a.example'] }),
      now: at(DAY),
      issuingSince: at(0),
      needed: true,
      reason: 'TemporaryOutdated',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const decision = temporaryNeeded({
        spec: c.cert.spec,
        secret: await c.secret(c.cert),
        now: c.now,
        issuingSince: c.issuingSince ?? c.now,
        failedIssuanceAttempts: c.failedIssuanceAttempts ?? 0,
      });
      expect({ needed: decision.needed, reason: decision.reason }).to.deep.equal({
        needed: c.needed,
        reason: c.reason,
      });
      if (c.recheckAt) expect(decision.recheckAt?.toISOString()).to.equal(c.recheckAt.toISOString());
      expect(decision.message).to.be.a('string').and.not.equal('');
    });
  }
});

import { expect } from 'chai';
import { generatePrivateKey } from './keys.js';
import { T0, intermediateCa, testPki, type TestPki } from './pki.test-support.js';
import { signLeaf } from './sign.js';
import { validateIssued, problemsMessage, type IssuedCertificate, type IssuedCheckName } from './validate.js';

const DAY = 86_400_000;

describe('validation of an issued certificate', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let key: string;
  let otherKey: string;
  let good: string;
  before(async () => {
    [pki, otherPki, key, otherKey] = await Promise.all([
      testPki('Issuer'),
      testPki('Other'),
      generatePrivateKey({ algorithm: 'ECDSA', size: 256 }),
      generatePrivateKey({ algorithm: 'RSA', size: 2048 }),
    ]);
    good = await pki.issue({
      keyPem: key,
      dnsNames: ['shop.example.com', '*.api.example.com'],
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 90 * DAY),
    });
  });

  const base = (): IssuedCertificate => ({
    chainPem: good,
    keyPem: key,
    dnsNames: ['shop.example.com', 'v1.api.example.com'],
    now: new Date(T0.getTime() + DAY),
    roots: [pki.root.certPem],
  });

  const cases: [
    string,
    () => Promise<Partial<IssuedCertificate>> | Partial<IssuedCertificate>,
    IssuedCheckName[],
    RegExp?,
  ][] = [
    ['accepts a current chain for the requested names that leads to the root', () => ({}), []],
    ['accepts the chain without known roots', () => ({ roots: undefined }), []],
    [
      'accepts a chain whose last certificate is the root itself',
      () => ({ chainPem: good + pki.root.certPem }),
      [],
    ],
    [
      'reports garbage as the only problem',
      () => ({ chainPem: 'hello' }),
      ['ChainParses'],
      /no PEM certificate in tls.crt/,
    ],
    [
      'reports a PEM block that is not a certificate',
      () => ({ chainPem: key }),
      ['ChainParses'],
      /the leaf certificate is a PEM "PRIVATE KEY" block/,
    ],
    [
      'reports a corrupted certificate',
      () => ({ chainPem: good.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA') }),
      ['ChainParses'],
      /does not parse/,
    ],
    [
      'reports a key the certificate was not requested with',
      () => ({ keyPem: otherKey }),
      ['KeyMatches'],
      /does not belong/,
    ],
    ['reports a key that does not parse', () => ({ keyPem: 'nope' }), ['KeyMatches'], /does not parse/],
    [
      'reports a name the SANs do not cover, wildcards covering one label only',
      () => ({ dnsNames: ['shop.example.com', 'api.example.com', 'a.b.api.example.com'] }),
      ['NamesCovered'],
      /does not cover api\.example\.com, a\.b\.api\.example\.com \(it has shop\.example\.com, \*\.api\.example\.com\)/,
    ],
    [
      'reports a certificate not yet valid',
      () => ({ now: new Date(T0.getTime() - 1000) }),
      ['Current'],
      /not valid before/,
    ],
    [
      'reports an expired certificate, at notAfter exactly',
      () => ({ now: new Date(T0.getTime() + 90 * DAY) }),
      ['Current'],
      /expired at 2026-04-01T00:00:00.000Z/,
    ],
    [
      'reports a chain that leads to another root',
      () => ({ roots: [otherPki.root.certPem] }),
      ['ChainVerifies'],
      /does not chain to the issuer's root \(CN=Other Root\)/,
    ],
    [
      'reports a leaf followed by an intermediate that did not sign it',
      () => ({
        chainPem: (good.split(/(?<=-----END CERTIFICATE-----\n)/)[0] ?? '') + otherPki.intermediate.certPem,
      }),
      ['ChainVerifies'],
      /the leaf \(CN=shop\.example\.com\) is not signed by certificate 2 \(CN=Other Intermediate\)/,
    ],
    [
      'reports a chain in the wrong order',
      () => {
        const [leaf = '', intermediate = ''] = good.split(/(?<=-----END CERTIFICATE-----\n)/);
        return { chainPem: intermediate + leaf };
      },
      ['KeyMatches', 'NamesCovered', 'ChainVerifies'],
    ],
    [
      'reports a non-CA certificate in the middle of the chain',
      async () => {
        const [leaf = ''] = good.split(/(?<=-----END CERTIFICATE-----\n)/);
        const notCa = await signLeaf(pki.intermediate, {
          keyPem: key,
          dnsNames: ['x.example'],
          notBefore: T0,
          notAfter: new Date(T0.getTime() + DAY),
        });
        return { chainPem: leaf + notCa };
      },
      ['ChainVerifies'],
      /is not a CA certificate/,
    ],
    [
      'reports every failing check at once',
      () => ({
        keyPem: otherKey,
        dnsNames: ['elsewhere.example.org'],
        now: new Date(T0.getTime() + 91 * DAY),
      }),
      ['KeyMatches', 'NamesCovered', 'Current'],
    ],
  ];
  for (const [name, change, expected, message] of cases) {
    it(name, async () => {
      const problems = validateIssued({ ...base(), ...(await change()) });
      expect(problems.map((p) => p.check)).to.deep.equal(expected);
      if (message) expect(problemsMessage(problems)).to.match(message);
    });
  }

  it('accepts a chain two intermediates deep when the root is known', async () => {
    const second = await intermediateCa(pki.intermediate, 'Second Intermediate');
    const leaf = await signLeaf(second, {
      keyPem: key,
      dnsNames: ['shop.example.com'],
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 2 * DAY),
    });
    const chainPem = leaf + second.certPem + pki.intermediate.certPem;
    expect(validateIssued({ ...base(), chainPem, dnsNames: ['shop.example.com'] })).to.deep.equal([]);
    const broken = leaf + second.certPem;
    expect(
      validateIssued({ ...base(), chainPem: broken, dnsNames: ['shop.example.com'] }).map((p) => p.check),
    ).to.deep.equal(['ChainVerifies']);
  });

  it('reports roots that do not parse', () => {
    const problems = validateIssued({ ...base(), roots: ['junk'] });
    expect(problemsMessage(problems)).to.equal('no PEM certificate in the trusted roots');
  });
});

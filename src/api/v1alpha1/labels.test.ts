import { expect } from 'chai';
import { DNS_LABEL, DNS_SUBDOMAIN, matches } from './checks/names.js';
import { acmeAccountSecretName, certificateNameLabelValue } from './labels.js';

describe('Secret labels and names', () => {
  it('names an ACME account Secret stably, as a DNS-1123 name, per server and e-mail', () => {
    const name = acmeAccountSecretName('https://acme.example/dir', 'ops@example.com');
    expect(name).to.equal(acmeAccountSecretName('https://acme.example/dir', 'ops@example.com'));
    expect(name).to.match(/^acme-account-[0-9a-f]{16}$/);
    expect(matches(DNS_SUBDOMAIN, name)).to.equal(true);
    const others = [
      acmeAccountSecretName('https://acme.example/dir', 'dev@example.com'),
      acmeAccountSecretName('https://other.example/dir', 'ops@example.com'),
      acmeAccountSecretName('https://acme.example/dir', undefined),
    ];
    expect(new Set([name, ...others]).size).to.equal(4);
  });

  it('uses a Certificate name as the label value when it fits', () => {
    expect(certificateNameLabelValue('web')).to.equal('web');
  });

  it('shortens a long Certificate name to a unique valid label value', () => {
    const long = `${'a'.repeat(40)}.${'b'.repeat(40)}`;
    const value = certificateNameLabelValue(long);
    expect(value).to.have.length.at.most(63);
    expect(value).not.to.equal(certificateNameLabelValue(`${long}c`));
    expect(matches(DNS_SUBDOMAIN, value) || matches(DNS_LABEL, value)).to.equal(true);
  });
});

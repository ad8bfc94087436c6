import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeMmdb } from '../../test/support/mmdb-writer.js';
import { GeoIp } from './geoip.js';

describe('GeoIP enrichment from MaxMind-format databases (the maxmind reader on generated files)', () => {
  let dir: string;
  let country: string;
  let asn: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-geoip-'));
    country = join(dir, 'country.mmdb');
    asn = join(dir, 'asn.mmdb');
    writeFileSync(
      country,
      writeMmdb('GeoLite2-Country', [
        { cidr: '203.0.113.0/24', data: { country: { iso_code: 'BR', names: { en: 'Brazil' } } } },
        { cidr: '198.51.100.0/25', data: { registered_country: { iso_code: 'PT' } } },
      ]),
    );
    writeFileSync(
      asn,
      writeMmdb('GeoLite2-ASN', [
        {
          cidr: '203.0.113.0/24',
          data: { autonomous_system_number: 64500, autonomous_system_organization: 'Example' },
        },
      ]),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the country code and the ASN of an address in a known network', async () => {
    const geo = await GeoIp.open({ country, asn });
    expect(geo.lookup('203.0.113.9')).to.deep.equal({ country: 'BR', asn: 'AS64500' });
    expect(geo.lookup('198.51.100.3')).to.deep.equal({ country: 'PT', asn: '' });
  });

  it('gives nothing for unknown or malformed addresses', async () => {
    const geo = await GeoIp.open({ country });
    expect(geo.lookup('192.0.2.1')).to.deep.equal({ country: '', asn: '' });
    expect(geo.lookup('not-an-ip')).to.deep.equal({ country: '', asn: '' });
  });

  it('names the key and the file it cannot read', async () => {
    const broken = join(dir, 'broken.mmdb');
    writeFileSync(broken, 'not a database');
    let error: unknown;
    try {
      await GeoIp.open({ asn: broken });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.include(`GEOIP_ASN_DATABASE=${broken}: not a readable MaxMind database`);
  });
});

import { expect } from 'chai';
import { FakeClock } from '../../runtime/clock.js';
import { staticCredentials } from './aws-credentials.js';
import { rejection } from './http-fakes.test-support.js';
import { FakeRoute53, type FakeHostedZone } from './route53-fake.test-support.js';
import { Route53Provider, route53Endpoint } from './route53.js';

const KEY = { accessKeyId: 'AKIAFAKEROUTE53', secretAccessKey: 'fake/secret+key' };
const NAME = '_acme-challenge.www.example.com.';

function zones(): FakeHostedZone[] {
  return [
    // A private zone of the same name comes first in the list and must be skipped.
    { id: 'ZPRIVATE', name: 'example.com.', private: true, records: [] },
    {
      id: 'ZPUBLIC',
      name: 'example.com.',
      records: [
        { name: 'example.com.', type: 'NS', ttl: 172800, values: ['ns-1.awsdns-00.com.'] },
        { name: 'www.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'] },
      ],
    },
    { id: 'ZOTHER', name: 'example.org.', records: [] },
  ];
}

describe('Route 53 DNS-01 provider against a fake of the API', () => {
  let fake: FakeRoute53;
  let clock: FakeClock;

  beforeEach(async () => {
    fake = await FakeRoute53.start(zones(), KEY);
    clock = new FakeClock(Date.UTC(2026, 2, 4, 5, 6, 7));
  });

  afterEach(async () => {
    await fake.close();
  });

  function provider(options: { hostedZoneId?: string; secretAccessKey?: string } = {}): Route53Provider {
    return new Route53Provider({
      region: 'eu-west-1',
      hostedZoneId: options.hostedZoneId,
      credentials: staticCredentials({
        ...KEY,
        secretAccessKey: options.secretAccessKey ?? KEY.secretAccessKey,
      }),
      baseUrl: fake.url,
      clock,
    });
  }

  it('finds the public zone, then adds and removes one value at a time', async () => {
    const r53 = provider();
    await r53.present('_acme-challenge.www.example.com', 'token-one');
    expect(fake.recordSet('ZPUBLIC', NAME)).to.deep.equal({
      name: NAME,
      type: 'TXT',
      ttl: 60,
      values: ['"token-one"'],
    });

    await r53.present('_acme-challenge.www.example.com', 'token-one');
    await r53.present('_acme-challenge.www.example.com.', 'token-two');
    expect(fake.recordSet('ZPUBLIC', NAME)?.values).to.deep.equal(['"token-one"', '"token-two"']);

    await r53.cleanup('_acme-challenge.www.example.com', 'token-one');
    expect(fake.recordSet('ZPUBLIC', NAME)?.values).to.deep.equal(['"token-two"']);
    await r53.cleanup('_acme-challenge.www.example.com', 'token-two');
    await r53.cleanup('_acme-challenge.www.example.com', 'token-two');
    expect(fake.recordSet('ZPUBLIC', NAME)).to.equal(undefined);

    expect(fake.calls).to.deep.equal([
      `ListHostedZonesByName dnsname=${NAME}`,
      'ListHostedZonesByName dnsname=www.example.com.',
      'ListHostedZonesByName dnsname=example.com.',
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
      `ChangeResourceRecordSets ZPUBLIC UPSERT ${NAME} "token-one"`,
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
      `ChangeResourceRecordSets ZPUBLIC UPSERT ${NAME} "token-one","token-two"`,
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
      `ChangeResourceRecordSets ZPUBLIC UPSERT ${NAME} "token-two"`,
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
      `ChangeResourceRecordSets ZPUBLIC DELETE ${NAME} "token-two"`,
      `ListResourceRecordSets ZPUBLIC name=${NAME}`,
    ]);
  });

  it('sends the ChangeResourceRecordSets request the API documents, signed for route53 in us-east-1', async () => {
    await provider().present('_acme-challenge.www.example.com', 'token-one');
    const change = fake.server.requests.find((r) => r.method === 'POST');
    expect(change?.path).to.equal('/2013-04-01/hostedzone/ZPUBLIC/rrset');
    expect(change?.headers['content-type']).to.equal('application/xml');
    expect(change?.headers['x-amz-date']).to.equal('20260304T050607Z');
    expect(change?.headers.authorization).to.match(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEROUTE53\/20260304\/us-east-1\/route53\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(change?.body).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch>' +
        '<Comment>gateway-worker ACME DNS-01 challenge</Comment><Changes><Change><Action>UPSERT</Action>' +
        '<ResourceRecordSet><Name>_acme-challenge.www.example.com.</Name><Type>TXT</Type><TTL>60</TTL>' +
        '<ResourceRecords><ResourceRecord><Value>&quot;token-one&quot;</Value></ResourceRecord></ResourceRecords>' +
        '</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>',
    );
    const list = fake.server.requests.find(
      (r) => r.path === '/2013-04-01/hostedzone/ZPUBLIC/rrset' && r.method === 'GET',
    );
    expect(Object.fromEntries(list?.query ?? [])).to.deep.equal({ name: NAME, type: 'TXT', maxitems: '1' });
  });

  it('uses the configured hosted zone without listing zones', async () => {
    await provider({ hostedZoneId: '/hostedzone/ZPUBLIC' }).present('_acme-challenge.www.example.com', 'v');
    expect(fake.calls.filter((c) => c.startsWith('ListHostedZonesByName'))).to.deep.equal([]);
    expect(fake.recordSet('ZPUBLIC', NAME)?.values).to.deep.equal(['"v"']);
  });

  it('names the zones it looked for when none matches', async () => {
    const error = await rejection(provider().present('_acme-challenge.shop.example.net', 'v'));
    expect(error.message).to.equal(
      'no public Route 53 hosted zone found for _acme-challenge.shop.example.net. (looked for ' +
        '_acme-challenge.shop.example.net., shop.example.net., example.net.); set route53.hostedZoneID, ' +
        'or check that the credentials may call route53:ListHostedZonesByName',
    );
  });

  it('says the credentials are wrong when the signature does not match', async () => {
    const error = await rejection(provider({ secretAccessKey: 'wrong' }).present(NAME, 'v'));
    expect(error.message).to.match(
      /^Route 53 ListHostedZonesByName failed \(HTTP 403 SignatureDoesNotMatch\): The request signature .*\. Check the access key id and the secret access key$/,
    );
  });

  it('names the IAM permissions when access is denied', async () => {
    fake.denyChanges = true;
    const error = await rejection(provider().present(NAME, 'v'));
    expect(error.message).to.match(
      /^Route 53 ChangeResourceRecordSets failed \(HTTP 403 AccessDenied\): User: .* is not authorized .*\. The IAM policy needs route53:ChangeResourceRecordSets and route53:ListResourceRecordSets on the hosted zone, and route53:ListHostedZonesByName unless hostedZoneID is set$/,
    );
  });

  it('says which hosted zone does not exist', async () => {
    const error = await rejection(provider({ hostedZoneId: 'ZGONE' }).present(NAME, 'v'));
    expect(error.message).to.equal(
      'Route 53 ListResourceRecordSets failed (HTTP 404 NoSuchHostedZone): No hosted zone found with ID: ZGONE. ' +
        'Check route53.hostedZoneID',
    );
  });

  it('passes on the messages of a rejected change batch', async () => {
    const alias = '_acme-challenge.alias.example.com.';
    fake.zones[1]?.records.push({ name: alias, type: 'CNAME', ttl: 300, values: ['elsewhere.example.org.'] });
    const error = await rejection(provider().present(alias, 'v'));
    expect(error.message).to.equal(
      'Route 53 ChangeResourceRecordSets failed (HTTP 400 InvalidChangeBatch): RRSet of type TXT with DNS name ' +
        `${alias} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already ` +
        'exists in zone example.com.',
    );
  });

  it('signs for the partition of the region', () => {
    expect(route53Endpoint('eu-central-1')).to.deep.equal({
      baseUrl: 'https://route53.amazonaws.com',
      signingRegion: 'us-east-1',
    });
    expect(route53Endpoint('cn-north-1')).to.deep.equal({
      baseUrl: 'https://route53.amazonaws.com.cn',
      signingRegion: 'cn-northwest-1',
    });
    expect(route53Endpoint('us-gov-east-1').signingRegion).to.equal('us-gov-west-1');
  });
});

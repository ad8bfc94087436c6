import { expect } from 'chai';
import { batchHeaderProblem } from './batch-rules.js';
import { identityFromCertificate, resolveGateway, type IdentityResult } from './identity.js';

const cert = (commonName: string | undefined, uris: string[] = []): IdentityResult =>
  identityFromCertificate({ commonName, uris });

describe('who ships logs, from the client certificate', () => {
  it('a certificate whose CN is a pod name is that gateway', () => {
    expect(cert('gateway-7')).to.deep.equal({
      ok: true,
      identity: { kind: 'gateway', gatewayId: 'gateway-7' },
    });
  });

  it('a urn:gateway-worker:gateway: URI wins over the CN (cert-manager csi-driver style)', () => {
    expect(cert('whatever', ['urn:gateway-worker:gateway:gw-abc12'])).to.deep.equal({
      ok: true,
      identity: { kind: 'gateway', gatewayId: 'gw-abc12' },
    });
  });

  it('a urn:gateway-worker:collector: URI is a collector relaying many gateways', () => {
    expect(cert('otel', ['urn:gateway-worker:collector:node-1'])).to.deep.equal({
      ok: true,
      identity: { kind: 'collector', name: 'node-1' },
    });
  });

  const refused: [string, IdentityResult, string][] = [
    [
      "the fleet's shared agent certificate",
      cert('gateway-agent'),
      'shared by the whole fleet and names no gateway',
    ],
    ["the worker's own certificate", cert('gateway-worker'), 'shared by the whole fleet'],
    ['no CN and no URI', cert(undefined), 'names no usable gateway: a gateway id is required'],
    ['a CN that is no pod name', cert('Gateway One'), 'is not a pod name'],
    [
      'two identities',
      cert('x', ['urn:gateway-worker:gateway:a', 'urn:gateway-worker:collector:b']),
      'more than one',
    ],
    ['an empty collector name', cert('x', ['urn:gateway-worker:collector:']), 'names no collector'],
  ];
  for (const [what, result, reason] of refused) {
    it(`refuses ${what}`, () => {
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.reason).to.contain(reason);
    });
  }
});

describe('which gateway a batch may be for', () => {
  const gateway = { kind: 'gateway', gatewayId: 'gateway-1' } as const;
  const collector = { kind: 'collector', name: 'node-1' } as const;

  it('a gateway ships its own records, named or not', () => {
    expect(resolveGateway(gateway, '')).to.deep.equal({ ok: true, gatewayId: 'gateway-1' });
    expect(resolveGateway(gateway, 'gateway-1')).to.deep.equal({ ok: true, gatewayId: 'gateway-1' });
  });

  it("a gateway may not ship another's", () => {
    const result = resolveGateway(gateway, 'gateway-2');
    expect(result).to.deep.equal({
      ok: false,
      reason: 'this connection\'s certificate names gateway "gateway-1"; records for "gateway-2" are refused',
    });
  });

  it('a collector ships for any gateway it names, and must name one', () => {
    expect(resolveGateway(collector, 'gateway-9')).to.deep.equal({ ok: true, gatewayId: 'gateway-9' });
    expect(resolveGateway(collector, '')).to.deep.include({ ok: false });
    expect(resolveGateway(collector, 'Not A Pod')).to.deep.include({ ok: false });
  });
});

describe('batch headers', () => {
  it('need a stream id and a sequence from 1', () => {
    expect(batchHeaderProblem('a1b2c3', 1)).to.equal(undefined);
    expect(batchHeaderProblem('otlp/abc', 1)).to.equal(undefined);
    expect(batchHeaderProblem('', 1)).to.contain('stream is required');
    expect(batchHeaderProblem('has space', 1)).to.contain('must be 1-128 characters');
    expect(batchHeaderProblem('x'.repeat(129), 1)).to.contain('must be 1-128 characters');
    expect(batchHeaderProblem('a', 0)).to.equal('sequence must be 1 or more');
  });
});

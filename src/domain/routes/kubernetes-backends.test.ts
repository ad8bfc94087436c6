import { expect } from 'chai';
import {
  endpointSliceData,
  serviceBackends,
  type EndpointSliceJson,
  type ServiceJson,
} from './kubernetes-backends.js';

function serviceJson(namespace: string, name: string, ports: ServiceJson['spec']): ServiceJson {
  return { metadata: { namespace, name }, spec: ports };
}

function sliceJson(
  namespace: string,
  name: string,
  service: string,
  rest: Partial<EndpointSliceJson>,
): EndpointSliceJson {
  return {
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ...rest,
  };
}

describe('route compiler: Services and EndpointSlices from the API', () => {
  it('defaults endpoint conditions as the EndpointSlice API documents them', () => {
    const data = endpointSliceData(
      sliceJson('shop', 'web-1', 'web', {
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [
          { addresses: ['10.0.0.1'] },
          { addresses: ['10.0.0.2'], conditions: { ready: false } },
          { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true } },
        ],
      }),
    );
    expect(data.endpoints).to.deep.equal([
      { addresses: ['10.0.0.1'], ready: true, serving: true, terminating: false },
      { addresses: ['10.0.0.2'], ready: false, serving: false, terminating: false },
      { addresses: ['10.0.0.3'], ready: false, serving: true, terminating: true },
    ]);
  });

  it('drops ports without a number and endpoints without an address, and names an unnamed port ""', () => {
    const data = endpointSliceData(
      sliceJson('shop', 'web-1', 'web', {
        ports: [{ port: 8080 }, { name: 'all' }],
        endpoints: [{ addresses: [] }, { addresses: ['10.0.0.1'] }],
      }),
    );
    expect(data.ports).to.deep.equal([{ name: '', port: 8080 }]);
    expect(data.endpoints.map((e) => e.addresses)).to.deep.equal([['10.0.0.1']]);
  });

  it('reads a slice with null ports and no endpoints, as the API sends for an empty Service', () => {
    expect(endpointSliceData({ metadata: { name: 'x' }, ports: null })).to.deep.equal({
      name: 'x',
      ports: [],
      endpoints: [],
    });
  });

  it('gives every Service its slices, by namespace and service-name label; stray slices are ignored', () => {
    const backends = serviceBackends(
      [
        serviceJson('shop', 'web', { ports: [{ name: 'http', port: 80 }] }),
        serviceJson('blog', 'web', { ports: [{ port: 80 }] }),
      ],
      [
        sliceJson('shop', 'web-a', 'web', { ports: [{ name: 'http', port: 8080 }], endpoints: [] }),
        sliceJson('shop', 'web-b', 'web', { ports: [{ name: 'http', port: 8080 }], endpoints: [] }),
        sliceJson('blog', 'other-a', 'other', { endpoints: [] }),
        { metadata: { namespace: 'shop', name: 'unlabelled' }, endpoints: [] },
      ],
    );
    expect([...backends.keys()]).to.deep.equal(['shop/web', 'blog/web']);
    expect(backends.get('shop/web')?.slices.map((s) => s.name)).to.deep.equal(['web-a', 'web-b']);
    expect(backends.get('shop/web')?.ports).to.deep.equal([{ name: 'http', port: 80 }]);
    expect(backends.get('blog/web')).to.deep.equal({
      namespace: 'blog',
      name: 'web',
      ports: [{ name: '', port: 80 }],
      slices: [],
    });
  });

  it('keeps the external name of an ExternalName Service, and only of that type', () => {
    const backends = serviceBackends(
      [
        serviceJson('shop', 'ext', {
          type: 'ExternalName',
          externalName: 'api.partner.net',
          ports: [{ port: 443 }],
        }),
        serviceJson('shop', 'web', {
          type: 'ClusterIP',
          externalName: 'ignored.example.com',
          ports: [{ port: 80 }],
        }),
      ],
      [],
    );
    expect(backends.get('shop/ext')?.externalName).to.equal('api.partner.net');
    expect(backends.get('shop/web')?.externalName).to.equal(undefined);
  });
});

describe('route compiler: Service mapping reuse', () => {
  it('maps the same objects to the same ServiceBackend, and a replaced slice to a new one', () => {
    const svc = serviceJson('shop', 'web', { ports: [{ port: 80 }] });
    const slice = sliceJson('shop', 'web-1', 'web', { endpoints: [{ addresses: ['10.0.0.1'] }] });
    const first = serviceBackends([svc], [slice]).get('shop/web');
    expect(serviceBackends([svc], [slice]).get('shop/web')).to.equal(first);
    const replaced = sliceJson('shop', 'web-1', 'web', { endpoints: [{ addresses: ['10.0.0.2'] }] });
    const second = serviceBackends([svc], [replaced]).get('shop/web');
    expect(second).to.not.equal(first);
    expect(second?.slices[0]?.endpoints[0]?.addresses).to.deep.equal(['10.0.0.2']);
  });
});

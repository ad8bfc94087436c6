import { expect } from 'chai';
import { generatePrivateKey } from '../domain/certs/keys.js';
import { T0, testPki } from '../domain/certs/pki.test-support.js';
import { certificateSecretContent } from '../domain/certs/secret.js';
import {
  createArchive,
  parseArchive,
  serializeArchive,
  ArchiveError,
  type BackedUpSecret,
} from './archive.js';
import { mergedForOverwrite, restoreDecision, type RestoreAction } from './restore-plan.js';

const DAY = 86_400_000;
const at = (ms: number): Date => new Date(T0.getTime() + ms);

interface CertOptions {
  notBefore?: Date;
  lifetimeMs?: number;
  temporary?: boolean;
  annotated?: boolean;
}

describe('restore decisions', () => {
  let key: string;
  let make: (options?: CertOptions) => Promise<BackedUpSecret>;
  before(async () => {
    key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const pki = await testPki('Restore');
    make = async (options = {}) => {
      const notBefore = options.notBefore ?? T0;
      const notAfter = new Date(notBefore.getTime() + (options.lifetimeMs ?? 90 * DAY));
      const chainPem = await pki.issue({ keyPem: key, dnsNames: ['a.example'], notBefore, notAfter });
      const content = certificateSecretContent({
        certificateName: 'web',
        dnsNames: ['a.example'],
        issuer: 'https://ca.example/dir',
        chainPem,
        keyPem: key,
        revision: 1,
        temporary: options.temporary ?? false,
      });
      const annotations = { ...content.annotations };
      if (options.annotated === false) delete annotations['gateway.awesomeapi.com.br/not-after'];
      return {
        namespace: 'apps',
        name: 'web-tls',
        type: content.type,
        labels: content.labels,
        annotations,
        data: content.data,
      };
    };
  });

  const account = (data: string): BackedUpSecret => ({
    namespace: 'gateway-worker',
    name: 'acme-account-0123',
    type: 'Opaque',
    labels: { 'gateway.awesomeapi.com.br/acme-account': 'true' },
    annotations: { 'gateway.awesomeapi.com.br/acme-server': 'https://ca.example/dir' },
    data: { 'tls.key': Buffer.from(data).toString('base64') },
  });

  const older = { notBefore: T0 };
  const newer = { notBefore: at(10 * DAY) };
  const cases: [
    string,
    () => Promise<[BackedUpSecret, BackedUpSecret | undefined]>,
    boolean,
    RestoreAction,
    RegExp?,
  ][] = [
    ['creates a Secret missing from the cluster', async () => [await make(), undefined], false, 'create'],
    ['leaves a Secret that holds the same', async () => twice(await make()), false, 'unchanged'],
    [
      'leaves a Secret that holds the same plus annotations of other tools',
      async () => {
        const secret = await make();
        return [secret, { ...secret, annotations: { ...secret.annotations, 'reflector/enabled': 'true' } }];
      },
      false,
      'unchanged',
    ],
    [
      'keeps a newer certificate in the cluster',
      async () => [await make(older), await make(newer)],
      false,
      'keep',
      /as new or newer.*--force/,
    ],
    [
      'overwrites a newer certificate with --force',
      async () => [await make(older), await make(newer)],
      true,
      'overwrite',
      /--force/,
    ],
    [
      'overwrites an older certificate in the cluster',
      async () => [await make(newer), await make(older)],
      false,
      'overwrite',
      /backup's certificate is newer/,
    ],
    [
      'reads notAfter from tls.crt when the annotation is missing',
      async () => [await make({ ...newer, annotated: false }), await make({ ...older, annotated: false })],
      false,
      'overwrite',
    ],
    [
      'replaces a temporary certificate with a real one, even an earlier-expiring one',
      async () => [
        await make({ lifetimeMs: 30 * DAY }),
        await make({ temporary: true, notBefore: at(DAY), lifetimeMs: 60 * DAY }),
      ],
      false,
      'overwrite',
      /replaces a temporary certificate/,
    ],
    [
      'does not replace a real certificate with a temporary one',
      async () => [await make({ ...newer, temporary: true }), await make(older)],
      false,
      'keep',
      /backup's temporary/,
    ],
    [
      'overwrites a cluster copy whose certificate is unreadable',
      async () => {
        const secret = await make();
        return [
          secret,
          {
            ...secret,
            data: { ...secret.data, 'tls.crt': 'bm9wZQ==' },
            annotations: {},
          },
        ];
      },
      false,
      'overwrite',
      /no readable certificate/,
    ],
    [
      'keeps a Secret of the same name that gateway-worker does not manage',
      async () => {
        const secret = await make(older);
        return [secret, { ...secret, labels: {}, data: { other: 'eA==' } }];
      },
      false,
      'keep',
      /not managed by gateway-worker/,
    ],
    [
      'keeps a different ACME account key',
      () => Promise.resolve([account('a'), account('b')]),
      false,
      'keep',
      /different ACME account key/,
    ],
    [
      'leaves the same ACME account key',
      () => Promise.resolve([account('a'), account('a')]),
      false,
      'unchanged',
    ],
    [
      'replaces an ACME account key with --force',
      () => Promise.resolve([account('a'), account('b')]),
      true,
      'overwrite',
    ],
  ];
  for (const [name, setup, force, action, reason] of cases) {
    it(name, async () => {
      const [backup, existing] = await setup();
      const decision = restoreDecision(backup, existing, { force, now: at(20 * DAY) });
      expect(decision.action).to.equal(action);
      if (reason) expect(decision.reason).to.match(reason);
    });
  }

  it("overwrites with the backup's data and labels, keeping other tools' annotations", () => {
    const merged = mergedForOverwrite(account('new'), {
      ...account('old'),
      annotations: { 'other/tool': 'x', 'gateway.awesomeapi.com.br/acme-server': 'stale' },
    });
    expect(merged.data).to.deep.equal(account('new').data);
    expect(merged.annotations).to.deep.equal({
      'other/tool': 'x',
      'gateway.awesomeapi.com.br/acme-server': 'https://ca.example/dir',
    });
  });
});

function twice(secret: BackedUpSecret): [BackedUpSecret, BackedUpSecret] {
  return [secret, { ...secret }];
}

describe('backup archive', () => {
  it('keeps what recreates a Secret, drops server metadata and kubectl state, and sorts', () => {
    const archive = createArchive(
      [
        {
          metadata: {
            name: 'b',
            namespace: 'ns',
            labels: { l: '1' },
            annotations: { a: '1', 'kubectl.kubernetes.io/last-applied-configuration': '{...}' },
            // Fields a backup must not carry into another cluster.
            ...{ uid: 'u', resourceVersion: '7', ownerReferences: [] },
          },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': 'Y3J0' },
        },
        { metadata: { name: 'a', namespace: 'ns' } },
      ],
      new Date(Date.UTC(2026, 0, 1)),
    );
    expect(archive).to.deep.equal({
      kind: 'GatewayWorkerBackup',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      secrets: [
        { namespace: 'ns', name: 'a', type: 'Opaque', labels: {}, annotations: {}, data: {} },
        {
          namespace: 'ns',
          name: 'b',
          type: 'kubernetes.io/tls',
          labels: { l: '1' },
          annotations: { a: '1' },
          data: { 'tls.crt': 'Y3J0' },
        },
      ],
    });
    expect(parseArchive(serializeArchive(archive))).to.deep.equal(archive);
  });

  const bad: [string, string, RegExp][] = [
    ['text that is not JSON', 'nope', /not JSON/],
    ['JSON of another kind', '{"kind":"Other","version":1}', /not a gateway-worker backup/],
    ['a later content version', '{"kind":"GatewayWorkerBackup","version":9}', /version 9 is not supported/],
    [
      'an entry without a name',
      '{"kind":"GatewayWorkerBackup","version":1,"createdAt":"x","secrets":[{"namespace":"n","type":"t","labels":{},"annotations":{},"data":{}}]}',
      /entry 1 has no name/,
    ],
    [
      'an entry with non-string data',
      '{"kind":"GatewayWorkerBackup","version":1,"createdAt":"x","secrets":[{"namespace":"n","name":"a","type":"t","labels":{},"annotations":{},"data":{"k":1}}]}',
      /entry 1 has a malformed data/,
    ],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => parseArchive(Buffer.from(text))).to.throw(ArchiveError, message);
    });
  }
});

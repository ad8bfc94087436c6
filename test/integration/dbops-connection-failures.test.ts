/**
 * What a DatabaseConnection says when it cannot be used, against real servers: a wrong password
 * (a PostgreSQL of its own with scram-sha-256 logins), an unreachable host, and a server older
 * than the oldest managed — each a clear Ready=False reason, never a password in status or Events.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DatabaseConnectionResource, type DatabaseConnection } from '../../src/api/v1alpha1/index.js';
import { LocalPostgres } from '../../src/envtest/postgres.js';
import { freePort } from '../../src/envtest/ports.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { adminQuery } from '../support/gateway-database.js';
import { sharedPostgres } from '../support/shared-postgres.js';
import { startDbopsOperator, untilCondition, type DbopsOperator } from '../support/dbops-harness.js';

const RIGHT = 'the-right-password-42';
const WRONG = 'a-wrong-password-17';

function connection(name: string, spec: Partial<DatabaseConnection['spec']>): DatabaseConnection {
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'DatabaseConnection',
    metadata: { name },
    spec: {
      host: '127.0.0.1',
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      sslMode: 'disable',
      connectTimeout: '3s',
      checkInterval: '5m',
      ...spec,
    },
  } as DatabaseConnection;
}

describe('DatabaseConnection failures (real PostgreSQL)', function () {
  this.timeout(300_000);
  let op: DbopsOperator;
  let server: LocalPostgres;

  before(async () => {
    op = await startDbopsOperator('dbops-conn');
    // A server of its own: logins other than the superuser's need a password here.
    server = await LocalPostgres.start();
    writeFileSync(
      join(server.dir, 'data', 'pg_hba.conf'),
      'host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
    );
    await adminQuery(server.url, 'SELECT pg_reload_conf()');
    await adminQuery(server.url, `CREATE ROLE gateway LOGIN PASSWORD '${RIGHT}'`);
  });
  after(async () => {
    await op.stop();
    await server.stop();
  });

  const create = (obj: DatabaseConnection): Promise<KubeObject> =>
    op.client.create(DatabaseConnectionResource, {
      ...obj,
      metadata: { ...obj.metadata, namespace: op.namespace },
    });

  it('a wrong password: AuthenticationFailed, no password anywhere; the right one in the Secret makes it Ready', async () => {
    await op.client.create(CoreTypes.secret, {
      metadata: { name: 'gateway-db', namespace: op.namespace },
      stringData: { password: WRONG },
    });
    await create(
      connection('wrong-password', {
        port: server.port,
        user: 'gateway',
        passwordSecretRef: { name: 'gateway-db', key: 'password' },
      }),
    );
    const refused = await untilCondition<DatabaseConnection>(
      op.client,
      DatabaseConnectionResource,
      op.namespace,
      'wrong-password',
      'Ready',
      (c) => c.status === 'False',
    );
    const ready = refused.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('AuthenticationFailed');
    expect(ready?.message).to.equal(
      `postgres://gateway@127.0.0.1:${server.port}/postgres refused the login: password authentication failed for user "gateway" (28P01). Check the user and the password in the Secret named by passwordSecretRef`,
    );
    const events = await op.client.list<KubeObject & { note?: string }>(
      { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
      op.namespace,
    );
    const everything = JSON.stringify({ status: refused.status, events });
    expect(everything).not.to.include(WRONG);
    expect(everything).not.to.include(RIGHT);

    await op.client.mergePatch(CoreTypes.secret, op.namespace, 'gateway-db', {
      stringData: { password: RIGHT },
    });
    const fixed = await untilCondition<DatabaseConnection>(
      op.client,
      DatabaseConnectionResource,
      op.namespace,
      'wrong-password',
      'Ready',
      (c) => c.status === 'True',
    );
    expect(fixed.status.server?.version).to.match(/^15\./);
  });

  it('an unreachable host: Unreachable, naming where it tried', async () => {
    const port = await freePort();
    await create(connection('unreachable', { port }));
    const down = await untilCondition<DatabaseConnection>(
      op.client,
      DatabaseConnectionResource,
      op.namespace,
      'unreachable',
      'Ready',
      (c) => c.status === 'False',
    );
    const ready = down.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('Unreachable');
    expect(ready?.message).to.match(
      new RegExp(
        `^cannot reach postgres://postgres@127\\.0\\.0\\.1:${port}/postgres: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\. Check spec\\.host and spec\\.port`,
      ),
    );
  });

  it('a server older than the oldest managed: ServerTooOld, with the versions', async () => {
    // PostgreSQL 15 is what runs here; an operator that manages 16 and newer finds it too old.
    const strict = await startDbopsOperator('dbops-old', { deps: { minimumServerVersion: 160000 } });
    try {
      const shared = new URL((await sharedPostgres()).url);
      await strict.client.create(DatabaseConnectionResource, {
        ...connection('too-old', { port: Number(shared.port) }),
        metadata: { name: 'too-old', namespace: strict.namespace },
      });
      const old = await untilCondition<DatabaseConnection>(
        strict.client,
        DatabaseConnectionResource,
        strict.namespace,
        'too-old',
        'Ready',
        (c) => c.status === 'False',
      );
      const ready = old.status.conditions?.find((c) => c.type === 'Ready');
      expect(ready?.reason).to.equal('ServerTooOld');
      expect(ready?.message).to.match(
        /: the server runs PostgreSQL 15\.\d+; gateway-worker manages PostgreSQL 16 or newer .*: upgrade the server$/,
      );
    } finally {
      await strict.stop();
    }
  });
});

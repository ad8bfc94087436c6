import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { findAsset } from '../../src/envtest/assets.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { OperatorProcess } from '../support/operator-process.js';
import { eventually } from '../support/widgets.js';

const LEADER = 'leader_election_master_status{name="gateway-worker-leader"}';
const WRITES = ['create', 'update', 'patch', 'delete'];

describe('gateway-worker operator process (real API server)', function () {
  this.timeout(120_000);
  const running: OperatorProcess[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
  });

  async function start(env: Record<string, string>): Promise<OperatorProcess> {
    const cluster = await sharedCluster();
    const p = await OperatorProcess.start(cluster.kubeconfigPath, env);
    running.push(p);
    return p;
  }

  /** One operator without leader election in a namespace of its own, once `/ready` says 200. */
  async function startReady(): Promise<OperatorProcess> {
    const cluster = await sharedCluster();
    const namespace = uniqueName('process');
    const admin = new KubeClient(cluster.kubeConfig);
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    admin.close();
    const operator = await start({ LEADER_ELECTION: 'false', POD_NAMESPACE: namespace });
    await eventually(
      async () => (await operator.get('/ready').catch(() => ({ status: 0 }))).status === 200,
      30_000,
      '/ready',
    );
    return operator;
  }

  it('becomes ready against the control plane, serves metrics promtool accepts, and exits 0 within 10 s of SIGTERM', async () => {
    const operator = await startReady();
    expect((await operator.get('/health')).status).to.equal(200);
    const metrics = (await operator.get('/metrics')).body;
    for (const name of ['process_cpu_user_seconds_total', 'gateway_worker_kube_api_requests_total']) {
      expect(metrics).to.contain(name);
    }
    const problems = execFileSync(findAsset('promtool'), ['check', 'metrics'], {
      input: metrics,
      encoding: 'utf8',
    });
    expect(problems.trim()).to.equal('');

    const stopAt = Date.now();
    operator.kill('SIGTERM');
    const { code } = await operator.exited;
    const shutdownLog = operator.output.slice(operator.output.indexOf('"msg":"shutting down"'));
    expect(code, shutdownLog).to.equal(0);
    expect(Date.now() - stopAt, shutdownLog).to.be.lessThan(10_000);
    expect(operator.output).to.contain('"msg":"shutdown complete"');
  });

  it('exits 0 on SIGTERM the moment it is ready, while its background work is still starting', async () => {
    const operator = await startReady();
    operator.kill('SIGTERM');
    const { code } = await operator.exited;
    expect(code, operator.output.slice(-4000)).to.equal(0);
  });

  it('two replicas: exactly one leads, the standby never writes, SIGTERM hands over within 3 s and SIGKILL within the lease duration + 2 s', async function () {
    this.timeout(180_000);
    const cluster = await sharedCluster();
    const namespace = uniqueName('leader');
    const admin = new KubeClient(cluster.kubeConfig);
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    admin.close();
    const env = { LEADER_ELECTION: 'true', POD_NAMESPACE: namespace };

    const a = await start({ ...env, POD_NAME: 'replica-a' });
    await eventually(async () => (await a.metric(LEADER)) === 1, 30_000, 'replica a to lead');
    const b = await start({ ...env, POD_NAME: 'replica-b' });
    await eventually(async () => (await b.metric(LEADER)) === 0, 30_000, 'replica b to stand by');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await a.metric(LEADER)).to.equal(1);
    expect(await b.metric(LEADER)).to.equal(0);
    expect(await b.requests(WRITES), 'writes by the standby').to.equal(0);

    const termAt = Date.now();
    a.kill('SIGTERM');
    await eventually(async () => (await b.metric(LEADER)) === 1, 3_000, 'replica b to lead after SIGTERM');
    const handOver = Date.now() - termAt;
    expect((await a.exited).code).to.equal(0);

    const c = await start({ ...env, POD_NAME: 'replica-c' });
    await eventually(async () => (await c.metric(LEADER)) === 0, 30_000, 'replica c to stand by');
    expect(await c.requests(WRITES), 'writes by the standby').to.equal(0);
    const killAt = Date.now();
    b.kill('SIGKILL');
    await eventually(async () => (await c.metric(LEADER)) === 1, 17_000, 'replica c to lead after SIGKILL');
    console.log(`      hand-over: SIGTERM ${handOver} ms, SIGKILL ${Date.now() - killAt} ms`);
  });
});

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import type { GatewayAgentClient } from '../generated/gateway/worker/v1/agent.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import {
  SyncSession,
  agentClient,
  agentPki,
  jsonResource,
  startTestAgent,
  update,
  wafRule,
  type TestAgent,
} from '../../test/support/agent-fixtures.js';
import { GATEWAY_RULES_FILE } from '../../test/fixtures/gateway-reference/paths.js';
import { configVersion } from './versioning.js';

const WAF = ResourceType.RESOURCE_TYPE_WAF_RULES;
const ROUTES = ResourceType.RESOURCE_TYPE_ROUTES;
const ACME = ResourceType.RESOURCE_TYPE_ACME_CHALLENGES;

const ruleSet = (name: string, ...ids: string[]) =>
  jsonResource(name, { version: '1.0', rules: ids.map((id) => wafRule(id)) });

describe('agent SyncConfig', () => {
  let agent: TestAgent;
  let client: GatewayAgentClient;
  let session: SyncSession;
  const wafFile = () => join(agent.dir, 'waf-rules.yaml');

  before(async () => {
    agent = await startTestAgent();
    client = agentClient(agent.agent.address, (await agentPki()).worker);
    session = new SyncSession(client);
  });

  after(async () => {
    session.close();
    client.close();
    await agent.stop();
  });

  it('ACKs a valid update with its version and writes waf-rules.yaml', async () => {
    const request = update(WAF, [ruleSet('default/base', 'one', 'two')]);
    expect(await session.exchange(request)).to.deep.equal({
      type: WAF,
      nonce: request.nonce,
      version: request.version,
      errorMessage: '',
      resourceErrors: [],
      gateway: 'gateway-test',
    });
    const written = parse(await readFile(wafFile(), 'utf8')) as { version: string; rules: { id: string }[] };
    expect(written.version).to.equal(request.version);
    expect(written.rules.map((r) => r.id)).to.deep.equal(['one', 'two']);
    expect(agent.agent.appliedVersions()).to.include({ RESOURCE_TYPE_WAF_RULES: request.version });
  });

  it('ACKs the version it already serves without rewriting the file', async () => {
    const before = await stat(wafFile());
    const request = update(WAF, [ruleSet('default/base', 'one', 'two')]);
    const answer = await session.exchange(request);
    expect(answer).to.include({ version: request.version, errorMessage: '' });
    expect((await stat(wafFile())).ino).to.equal(before.ino);
  });

  it('NACKs an invalid regex with the last good version, per-resource errors, and files unchanged', async () => {
    const lastGood = agent.agent.appliedVersions().RESOURCE_TYPE_WAF_RULES;
    const content = await readFile(wafFile(), 'utf8');
    const bad = jsonResource('default/bad', {
      version: '1.0',
      rules: [wafRule('lookahead', { operator: 'regex', value: 'a(?=b)' })],
    });
    const request = update(WAF, [ruleSet('default/base', 'one'), bad]);
    const answer = await session.exchange(request);
    expect(answer.version).to.equal(lastGood);
    expect(answer.nonce).to.equal(request.nonce);
    expect(answer.errorMessage).to.match(
      /^rejected 1 of 2 resources; default\/bad: rules\[0\]\.conditions\[0\]\.value: invalid regex/,
    );
    expect(answer.resourceErrors.map((e) => e.name)).to.deep.equal(['default/bad']);
    expect(await readFile(wafFile(), 'utf8')).to.equal(content);
    expect(agent.agent.appliedVersions().RESOURCE_TYPE_WAF_RULES).to.equal(lastGood);
  });

  it('NACKs an update whose version is not the hash of its resources', async () => {
    const lastGood = agent.agent.appliedVersions().RESOURCE_TYPE_WAF_RULES;
    const resources = [ruleSet('default/base', 'one')];
    const answer = await session.exchange(update(WAF, resources, { version: 'not-the-hash' }));
    expect(answer.version).to.equal(lastGood);
    expect(answer.errorMessage).to.equal(
      `version not-the-hash does not match the content hash ${configVersion(resources)} of the 1 resources received`,
    );
  });

  it('reassembles a chunked update and answers once, after the last chunk', async () => {
    const resources = [ruleSet('ns/a', 'a1'), ruleSet('ns/b', 'b1'), ruleSet('ns/c', 'c1')];
    const whole = update(WAF, resources);
    resources.forEach((resource, index) =>
      session.send({
        ...whole,
        nonce: `chunk-${index}`,
        resources: [resource],
        chunkIndex: index,
        chunkCount: 3,
      }),
    );
    const answer = await session.next();
    expect(answer).to.include({ nonce: 'chunk-2', version: whole.version, errorMessage: '' });
    const written = parse(await readFile(wafFile(), 'utf8')) as { rules: { id: string }[] };
    expect(written.rules.map((r) => r.id)).to.deep.equal(['a1', 'b1', 'c1']);
  });

  it('NACKs a chunk that arrives out of order and applies none of the update', async () => {
    const lastGood = agent.agent.appliedVersions().RESOURCE_TYPE_WAF_RULES;
    const resources = [ruleSet('ns/x', 'x1'), ruleSet('ns/y', 'y1')];
    const whole = update(WAF, resources);
    const answer = await session.exchange({
      ...whole,
      resources: [resources[1]!],
      chunkIndex: 1,
      chunkCount: 2,
    });
    expect(answer.version).to.equal(lastGood);
    expect(answer.errorMessage).to.match(/^out-of-order chunk 1 of 2/);
  });

  it("writes waf-rules.yaml from the gateway's own reference file with the same rules", async () => {
    const reference = parse(await readFile(GATEWAY_RULES_FILE, 'utf8')) as {
      rules: Record<string, unknown>[];
    };
    const request = update(WAF, [jsonResource('gateway/reference', reference)]);
    expect(await session.exchange(request)).to.include({ version: request.version, errorMessage: '' });
    const written = parse(await readFile(wafFile(), 'utf8')) as { rules: Record<string, unknown>[] };
    // The gateway's serde structs require `metadata`, so the agent always writes it.
    const expected = reference.rules.map((rule) => ({
      ...rule,
      action: { ...(rule.action as object), metadata: {} },
      metadata: {},
    }));
    expect(written.rules).to.deep.equal(expected);
  });

  it('writes routes.yaml with each RouteConfig kept as it is', async () => {
    const shop = {
      hostnames: ['shop.example.com'],
      routes: [{ name: 'api', path: '/api', backends: [{ url: 'http://api:80' }] }],
    };
    const request = update(ROUTES, [jsonResource('default/shop', shop)]);
    expect(await session.exchange(request)).to.include({ version: request.version, errorMessage: '' });
    expect(parse(await readFile(join(agent.dir, 'routes.yaml'), 'utf8'))).to.deep.equal({
      version: request.version,
      route_configs: [{ name: 'default/shop', ...shop }],
    });
  });

  it('NACKs routes that are not an object with hostnames and routes arrays', async () => {
    const answer = await session.exchange(
      update(ROUTES, [jsonResource('default/bad', { hostnames: 'x', routes: [] })]),
    );
    expect(answer.errorMessage).to.match(/default\/bad: hostnames: must be an array/);
  });

  it('serves an ACME token over HTTP until an update leaves it out', async () => {
    const challenge = { token: 'tok_EN-123', keyAuthorization: 'tok_EN-123.thumb-print_1' };
    expect(await session.exchange(update(ACME, [jsonResource('default/shop', challenge)]))).to.include({
      errorMessage: '',
    });
    const url = `http://${agent.agent.httpAddress}/.well-known/acme-challenge/${challenge.token}`;
    const served = await fetch(url);
    expect(served.status).to.equal(200);
    expect(served.headers.get('content-type')).to.match(/^text\/plain/);
    expect(await served.text()).to.equal(challenge.keyAuthorization);
    expect(
      (await fetch(`http://${agent.agent.httpAddress}/.well-known/acme-challenge/unknown`)).status,
    ).to.equal(404);
    expect(await session.exchange(update(ACME, []))).to.include({ errorMessage: '' });
    expect((await fetch(url)).status).to.equal(404);
  });

  it('NACKs on request through rejectNext, then accepts the next update', async () => {
    agent.agent.rejectNext(ROUTES, 'simulated failure');
    const request = update(ROUTES, []);
    expect(await session.exchange(request)).to.include({ errorMessage: 'simulated failure' });
    expect(await session.exchange(update(ROUTES, []))).to.include({
      version: request.version,
      errorMessage: '',
    });
  });

  it('NACKs a resource type it does not know', async () => {
    const answer = await session.exchange(update(ResourceType.RESOURCE_TYPE_UNSPECIFIED, []));
    expect(answer.errorMessage).to.equal('unsupported resource type RESOURCE_TYPE_UNSPECIFIED');
  });

  describe('incremental updates', () => {
    const site = (n: number) =>
      jsonResource(`default/site-${n}`, { hostnames: [`site-${n}.example.com`], routes: [] });
    const routesFile = async () =>
      parse(await readFile(join(agent.dir, 'routes.yaml'), 'utf8')) as {
        version: string;
        route_configs: { name: string; hostnames: string[] }[];
      };

    it('merges changed and removed resources into the state it acknowledged last', async () => {
      const base = update(ROUTES, [site(1), site(2), site(3)]);
      expect(await session.exchange(base)).to.include({ version: base.version, errorMessage: '' });
      const changed = jsonResource('default/site-2', { hostnames: ['moved.example.com'], routes: [] });
      const next = configVersion([site(1), changed, site(4)]);
      const answer = await session.exchange(
        update(ROUTES, [changed, site(4)], {
          version: next,
          baseVersion: base.version,
          removed: ['default/site-3'],
        }),
      );
      expect(answer).to.include({ version: next, errorMessage: '' });
      const file = await routesFile();
      expect(file.version).to.equal(next);
      expect(file.route_configs.map((c) => [c.name, c.hostnames[0]])).to.deep.equal([
        ['default/site-1', 'site-1.example.com'],
        ['default/site-2', 'moved.example.com'],
        ['default/site-4', 'site-4.example.com'],
      ]);
    });

    it('NACKs an update built on a version it does not hold, and keeps its state', async () => {
      const held = agent.agent.appliedVersions()['RESOURCE_TYPE_ROUTES'];
      const answer = await session.exchange(
        update(ROUTES, [site(5)], { version: 'whatever', baseVersion: 'some-other-version', removed: [] }),
      );
      expect(answer.version).to.equal(held);
      expect(answer.errorMessage).to.equal(
        `incremental update from version some-other-version, but this agent holds version ${held ?? ''}; the complete state is needed`,
      );
      expect((await routesFile()).version).to.equal(held);
    });

    it('NACKs an incremental update whose merged state does not hash to its version', async () => {
      const held = agent.agent.appliedVersions()['RESOURCE_TYPE_ROUTES'] ?? '';
      const answer = await session.exchange(
        update(ROUTES, [site(6)], { version: configVersion([site(6)]), baseVersion: held, removed: [] }),
      );
      expect(answer.errorMessage).to.match(/does not match the content hash/);
      expect((await routesFile()).version).to.equal(held);
    });

    it('after a restart, asks for the complete state before any increment', async () => {
      const held = agent.agent.appliedVersions()['RESOURCE_TYPE_ROUTES'] ?? '';
      const restarted = await startTestAgent({ dir: agent.dir });
      const client2 = agentClient(restarted.agent.address, (await agentPki()).worker);
      const session2 = new SyncSession(client2);
      try {
        const answer = await session2.exchange(
          update(ROUTES, [site(7)], { version: 'v', baseVersion: held, removed: [] }),
        );
        expect(answer.errorMessage).to.match(/has not received a complete state since it started/);
      } finally {
        session2.close();
        client2.close();
        await restarted.stop();
      }
    });
  });

  it('knows its last good versions from the files after a restart', async () => {
    const versions = agent.agent.appliedVersions();
    const restarted = await startTestAgent({ dir: agent.dir });
    try {
      expect(restarted.agent.appliedVersions()).to.deep.equal({
        RESOURCE_TYPE_WAF_RULES: versions.RESOURCE_TYPE_WAF_RULES,
        RESOURCE_TYPE_ROUTES: versions.RESOURCE_TYPE_ROUTES,
      });
    } finally {
      await restarted.stop();
    }
  });
});

/**
 * The ip-deny type on a real agent folder: shards from several sources united into
 * waf-ip-lists.yaml beside the WAF's own lists, each type replacing only its part, incremental
 * updates, refusals, and a restart that keeps both parts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { shardRanges } from '../domain/threats/deny-shards.js';
import { rangesOf } from '../domain/threats/reserved.js';
import { compileRuleSet, isCompiled, wafResourceName } from '../domain/waf/index.js';
import { ResourceType, type Resource } from '../generated/gateway/worker/v1/resources.js';
import { silentLogger } from '../runtime/logger.js';
import { ConfigState } from './config-state.js';
import { IP_DENY_PART_FILE } from './ip-lists-file.js';
import { configVersion, payloadVersion } from './versioning.js';
import { WAF_IP_LISTS_FILE, renderIpListsYaml } from './waf-rules.js';

const IP_DENY = ResourceType.RESOURCE_TYPE_IP_DENY_LIST;
const WAF = ResourceType.RESOURCE_TYPE_WAF_RULES;

function shards(source: string, cidrs: string[], target?: number): Resource[] {
  return shardRanges(source, rangesOf(cidrs), target === undefined ? {} : { target, max: target * 4 }).map(
    (s) => ({
      name: s.name,
      version: payloadVersion(s.payload),
      payload: Buffer.from(s.payload),
    }),
  );
}

function wafSet(ipDenyList: string[], ipAllowList: string[] = []): Resource[] {
  const compiled = compileRuleSet({
    namespace: 'ns',
    name: 'base',
    spec: { rules: [], ipDenyList, ipAllowList },
  });
  if (!isCompiled(compiled)) throw new Error(JSON.stringify(compiled.problems));
  return [
    {
      name: wafResourceName('ns', 'base', 100),
      version: payloadVersion(compiled.payload),
      payload: Buffer.from(compiled.payload),
    },
  ];
}

interface IpListsView {
  version: string;
  ip_deny_version?: string;
  ip_whitelist: string[];
  ip_blacklist: string[];
}

describe('the agent writer of ip-deny lists', () => {
  let dir: string;
  let state: ConfigState;
  const read = async (): Promise<IpListsView> =>
    parse(await readFile(join(dir, WAF_IP_LISTS_FILE), 'utf8')) as IpListsView;
  const apply = async (type: ResourceType, resources: Resource[]) => {
    const result = await state.apply(type, configVersion(resources), resources);
    expect(result.kind, result.kind === 'nack' ? result.message : '').to.equal('ack');
    return configVersion(resources);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-ip-deny-'));
    state = new ConfigState(dir, silentLogger);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('unites the shards of every source after the WAF deny list, without repeating an entry', async () => {
    await apply(WAF, wafSet(['45.0.0.1', '198.51.100.0/24'], ['10.0.0.0/8']));
    const version = await apply(IP_DENY, [
      ...shards('feed:edge/a', ['45.0.0.0/24', '45.0.1.0/24', '2a0e:1c80::/29']),
      ...shards('feed:edge/b', ['45.0.1.128/25', '185.220.101.7', '45.0.0.1']),
    ]);
    const file = await read();
    expect(file.ip_deny_version).to.equal(version);
    expect(file.ip_whitelist).to.deep.equal(['10.0.0.0/8']);
    expect(file.ip_blacklist).to.deep.equal([
      '45.0.0.1',
      '198.51.100.0/24',
      '45.0.0.0/23',
      '185.220.101.7',
      '2a0e:1c80::/29',
    ]);
  });

  it('leaves the file exactly as the WAF alone writes it until a deny list arrives', async () => {
    const version = await apply(WAF, wafSet(['45.0.0.1']));
    expect(await readFile(join(dir, WAF_IP_LISTS_FILE), 'utf8')).to.equal(
      renderIpListsYaml(version, [], ['45.0.0.1']),
    );
  });

  it('keeps the deny lists when the WAF changes, and the WAF lists when the deny lists change', async () => {
    await apply(IP_DENY, shards('feed:edge/a', ['45.0.0.0/24']));
    await apply(WAF, wafSet(['46.0.0.1']));
    expect((await read()).ip_blacklist).to.deep.equal(['46.0.0.1', '45.0.0.0/24']);
    await apply(IP_DENY, shards('feed:edge/a', ['47.0.0.0/24']));
    expect((await read()).ip_blacklist).to.deep.equal(['46.0.0.1', '47.0.0.0/24']);
  });

  it('applies an incremental update of one shard onto the state it holds', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `45.${i % 200}.${Math.floor(i / 200) * 2}.0/24`);
    const before = shards('decisions', many, 16);
    const base = await apply(IP_DENY, before);
    const after = shards('decisions', [...many, '45.7.77.77'], 16);
    const changed = after.filter((s) => !before.some((b) => b.name === s.name && b.version === s.version));
    const removed = before.filter((b) => !after.some((s) => s.name === b.name)).map((b) => b.name);
    expect(changed.length + removed.length).to.be.at.most(3);
    const result = await state.apply(IP_DENY, configVersion(after), changed, { baseVersion: base, removed });
    expect(result.kind).to.equal('ack');
    expect((await read()).ip_blacklist).to.include('45.7.77.77');
  });

  it('refuses a shard it cannot read, naming it, and keeps the list in service', async () => {
    await apply(IP_DENY, shards('feed:edge/a', ['45.0.0.0/24']));
    const good = shards('feed:edge/a', ['46.0.0.0/24']);
    const bad: Resource[] = [
      ...good,
      { name: 'feed:edge/b#4-00000000', version: 'x', payload: Buffer.from('not ranges') },
      { name: 'no-hash-sign', version: 'y', payload: good[0]?.payload ?? Buffer.alloc(0) },
      { name: 'feed:edge/c#6-2d000000', version: 'z', payload: good[0]?.payload ?? Buffer.alloc(0) },
    ];
    const result = await state.apply(IP_DENY, configVersion(bad), bad);
    expect(result.kind).to.equal('nack');
    if (result.kind === 'nack') {
      expect(result.resourceErrors).to.deep.equal([
        { name: 'feed:edge/b#4-00000000', message: 'not an encoded range list' },
        {
          name: 'no-hash-sign',
          message: 'the name must be <source>#<4|6>-<first address in hex>, e.g. feed:edge/drop#4-010a1000',
        },
        { name: 'feed:edge/c#6-2d000000', message: 'the name says IPv6, the payload holds IPv4' },
      ]);
    }
    expect((await read()).ip_blacklist).to.deep.equal(['45.0.0.0/24']);
  });

  it('after a restart, reports the deny list it serves and keeps it through the next WAF update', async () => {
    const version = await apply(IP_DENY, shards('feed:edge/a', ['45.0.0.0/24']));
    await apply(WAF, wafSet(['46.0.0.1']));
    const restarted = new ConfigState(dir, silentLogger);
    await restarted.load();
    expect(restarted.appliedVersion(IP_DENY)).to.equal(version);
    const waf = wafSet(['46.0.0.2']);
    expect((await restarted.apply(WAF, configVersion(waf), waf)).kind).to.equal('ack');
    expect((await read()).ip_blacklist).to.deep.equal(['46.0.0.2', '45.0.0.0/24']);
  });

  it('does not claim a saved deny list the merged file never carried (a crash between the two writes)', async () => {
    await apply(IP_DENY, shards('feed:edge/a', ['45.0.0.0/24']));
    // The part saved, the merged file not (yet) written: as if the agent died between the two.
    expect((await readFile(join(dir, IP_DENY_PART_FILE))).byteLength).to.be.greaterThan(0);
    await rm(join(dir, WAF_IP_LISTS_FILE));
    const restarted = new ConfigState(dir, silentLogger);
    await restarted.load();
    expect(restarted.appliedVersion(IP_DENY)).to.equal('');
  });
});

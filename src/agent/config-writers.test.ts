import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SYNCED_TYPES } from '../domain/snapshot/pushed-types.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import { silentLogger } from '../runtime/logger.js';
import { ConfigState } from './config-state.js';
import { configVersion } from './versioning.js';

describe('agent writers of the registered pushed types', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-writers-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  for (const type of SYNCED_TYPES) {
    it(`applies an empty ${type.name} state, refuses a resource it cannot read, and keeps what it had`, async () => {
      const state = new ConfigState(dir, silentLogger);
      const proto = ResourceType[type.proto];
      const empty = configVersion([]);
      expect(await state.apply(proto, empty, [])).to.include({ kind: 'ack', version: empty });
      const junk = [{ name: 'ns/junk', version: 'v', payload: Buffer.from('not json') }];
      const result = await state.apply(proto, configVersion(junk), junk);
      expect(result).to.include({ kind: 'nack', version: empty });
      if (result.kind === 'nack') expect(result.resourceErrors.map((e) => e.name)).to.deep.equal(['ns/junk']);
    });
  }

  it('refuses a type no writer is registered for', async () => {
    const state = new ConfigState(dir, silentLogger);
    const result = await state.apply(ResourceType.RESOURCE_TYPE_UNSPECIFIED, configVersion([]), []);
    expect(result).to.include({ kind: 'nack' });
    if (result.kind === 'nack') expect(result.message).to.match(/unsupported resource type/);
  });
});

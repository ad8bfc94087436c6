import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.js';
import type { FilePosition } from './file-position.js';
import { ShipperState } from './shipper-state.js';

const position = (offset: number): FilePosition => ({
  file: { dev: 1, ino: 2, fingerprintBytes: 10, fingerprint: 'a'.repeat(64) },
  offset,
});

describe("the log shipper's saved state", () => {
  let dir: string;
  const open = (gateway = 'gateway-1'): Promise<ShipperState> =>
    ShipperState.open({ dir, gateway, logger: silentLogger, sync: false });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipper-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts a new stream at sequence 1 with no position, and keeps it across opens', async () => {
    const first = await open();
    expect([first.nextSequence, first.position]).to.deep.equal([1, undefined]);
    expect(first.stream).to.match(/^[0-9a-f]{24}$/);
    expect((await open()).stream).to.equal(first.stream);
  });

  it('keeps committed batches until acknowledged, and their position', async () => {
    const state = await open();
    await state.commit((seq) => new Uint8Array([seq]), position(100));
    await state.commit((seq) => new Uint8Array([seq]), position(200));
    await state.acknowledge(1);
    const reopened = await open();
    expect([...reopened.unacked]).to.deep.equal([[2, new Uint8Array([2])]]);
    expect([reopened.nextSequence, reopened.position?.offset]).to.deep.equal([3, 200]);
  });

  it('after a crash between the spool write and the state write, forgets the uncommitted batch', async () => {
    const state = await open();
    await state.commit((seq) => new Uint8Array([seq]), position(100));
    // The spool file of batch 2 was written; the state (the commit point) was not.
    await writeFile(join(dir, 'spool', '2.batch'), new Uint8Array([9]));
    await writeFile(join(dir, 'spool', '.2.batch.abc.tmp'), 'half');
    const reopened = await open();
    expect([...reopened.unacked.keys()]).to.deep.equal([1]);
    expect([reopened.nextSequence, reopened.position?.offset]).to.deep.equal([2, 100]);
    expect((await readdir(join(dir, 'spool'))).sort()).to.deep.equal(['1.batch']);
  });

  it('starts afresh from an unreadable state file, or one saved for another gateway', async () => {
    const state = await open();
    await state.commit((seq) => new Uint8Array([seq]), position(100));
    const renamed = await open('gateway-2');
    expect(renamed.stream).to.not.equal(state.stream);
    expect([renamed.nextSequence, renamed.unacked.size]).to.deep.equal([1, 0]);
    await writeFile(join(dir, 'state.json'), '{"version":1,');
    expect((await open('gateway-2')).nextSequence).to.equal(1);
  });
});

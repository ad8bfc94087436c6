import { createServer, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { freePort, isPortClash, retryOnPortClash } from './ports.js';

describe('retryOnPortClash', () => {
  it('starts again when the port was taken, and returns what the later attempt started', async () => {
    const attempts: number[] = [];
    const result = await retryOnPortClash((attempt) => {
      attempts.push(attempt);
      return attempt < 3
        ? Promise.reject(new Error('etcd exited before it was ready:\nbind: address already in use'))
        : Promise.resolve('started');
    });
    expect(result).to.equal('started');
    expect(attempts).to.deep.equal([1, 2, 3]);
  });

  it('throws any other failure at once', async () => {
    let attempts = 0;
    const failure = await retryOnPortClash(() => {
      attempts++;
      return Promise.reject(new Error('etcd exited before it was ready: permission denied'));
    }).catch((error: unknown) => error);
    expect(String(failure)).to.include('permission denied');
    expect(attempts).to.equal(1);
  });

  it('gives up after the last attempt with the clash it saw', async () => {
    let attempts = 0;
    const failure = await retryOnPortClash(() => {
      attempts++;
      return Promise.reject(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1'));
    }, 3).catch((error: unknown) => error);
    expect(isPortClash(failure)).to.equal(true);
    expect(attempts).to.equal(3);
  });

  it("recognises Node.js's own error for a port another listener holds", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const second = createServer();
    const error = await new Promise<unknown>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    holder.close();
    expect(isPortClash(error)).to.equal(true);
    expect(await freePort()).to.be.a('number');
  });
});

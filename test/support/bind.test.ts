import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { BIND_INSTALL_COMMAND, bindTools, dig, startBind, type BindServer } from './bind.js';
import { runTool } from './install-tools.js';

/** Whether anything answers DNS at the address; dig exits 9 when no server replies. */
async function answers(server: { host: string; port: number }): Promise<boolean> {
  const result = await runTool(bindTools().dig, [
    `@${server.host}`,
    '-p',
    String(server.port),
    '+time=1',
    '+tries=1',
    'example.test',
    'SOA',
  ]);
  return result.code === 0;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the BIND test server', () => {
  let bind: BindServer;

  before(async () => {
    bind = await startBind({
      zones: [
        { name: 'example.test.', updatable: true },
        {
          name: 'two.test',
          nameservers: [
            { name: 'a.ns.two.test', address: '127.0.0.1' },
            { name: 'b.ns.two.test', address: '127.0.0.9' },
          ],
        },
      ],
    });
  });

  after(async () => {
    // Undefined when the before hook failed; that failure is the one to report.
    await (bind as BindServer | undefined)?.stop();
  });

  it('serves an authoritative zone whose SOA and NS point at itself', async () => {
    expect(await dig(bind, 'example.test', 'SOA')).to.deep.equal([
      'ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60',
    ]);
    expect(await dig(bind, 'example.test', 'NS')).to.deep.equal(['ns1.example.test.']);
    expect(await dig(bind, 'ns1.example.test', 'A')).to.deep.equal(['127.0.0.1']);
    expect(bind.address).to.equal(`127.0.0.1:${bind.port}`);
  });

  it('serves the name servers it is told a zone has', async () => {
    expect((await dig(bind, 'two.test', 'NS')).sort()).to.deep.equal(['a.ns.two.test.', 'b.ns.two.test.']);
    expect(await dig(bind, 'b.ns.two.test', 'A')).to.deep.equal(['127.0.0.9']);
  });

  it('has one key per TSIG algorithm, named after it', () => {
    expect(Object.values(bind.keys).map((k) => `${k.algorithm} ${k.name}`)).to.deep.equal([
      'HMACMD5 acme-hmac-md5.',
      'HMACSHA1 acme-hmac-sha1.',
      'HMACSHA256 acme-hmac-sha256.',
      'HMACSHA512 acme-hmac-sha512.',
    ]);
    for (const key of Object.values(bind.keys)) expect(Buffer.from(key.secret, 'base64')).to.have.length(32);
  });

  it('stops, and nothing answers on its port afterwards', async () => {
    const other = await startBind();
    expect(await answers(other)).to.equal(true);
    await other.stop();
    expect(await answers(other)).to.equal(false);
  });

  it('dies with the process that started it, even on SIGKILL', async () => {
    // A separate Node process starts BIND, says where, and is then killed without a chance to clean up.
    const module = new URL('./bind.ts', import.meta.url).href;
    const script =
      `const { startBind } = await import(${JSON.stringify(module)});` +
      'const bind = await startBind();' +
      'console.log(`listening ${bind.host} ${bind.port} ${bind.dir}`);' +
      'setInterval(() => {}, 1000);';
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const address = await new Promise<{ host: string; port: number; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /^listening (\S+) (\d+) (\S+)$/m.exec(out);
        if (match) resolve({ host: match[1] ?? '', port: Number(match[2]), dir: match[3] ?? '' });
      });
      child.on('exit', (code) => reject(new Error(`fixture exited ${String(code)} before BIND started`)));
    });
    expect(await answers(address)).to.equal(true);
    child.kill('SIGKILL');
    await eventually(async () => !(await answers(address)), 'the orphaned named is gone');
    // Its temp folder is left behind (nothing runs after SIGKILL); the test removes it.
    expect(address.dir).to.match(/gateway-worker-bind-/);
    rmSync(address.dir, { recursive: true, force: true });
  });

  it('names the install command when named is not installed', () => {
    expect(() => bindTools(['/nonexistent'])).to.throw(
      `The DNS-01 tests need a real BIND, but named and dig are not installed. Install Debian's BIND with:\n` +
        `  ${BIND_INSTALL_COMMAND}`,
    );
  });
});

/**
 * A Secret volume laid out the way kubelet's atomic writer lays it out, for tests of code that
 * reloads mounted files: the data lives in a timestamped hidden folder, `..data` is a symlink to
 * it, and each key is a symlink through `..data`. An update writes a new folder and renames a new
 * `..data` symlink over the old one, so readers see the old set or the new one, never a mix. Also
 * a raw TLS probe that reads the serial a GatewayAgent presents, and a wait for file watchers.
 */
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { GATEWAY_SERVER_NAME, type TlsMaterial } from '../../src/grpc/credentials.js';
import { normalizeSerial } from './grpc-fixtures.js';

export class SecretVolume {
  private generation = 0;

  private constructor(readonly dir: string) {}

  /** Makes the volume in `dir` (which must not exist yet) holding `files`. */
  static async create(dir: string, files: Record<string, string>): Promise<SecretVolume> {
    await mkdir(dir, { recursive: true });
    const volume = new SecretVolume(dir);
    await volume.update(files);
    for (const name of Object.keys(files)) await symlink(join('..data', name), join(dir, name));
    return volume;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** The atomic swap: new folder, `..data_tmp` → it, renamed over `..data`, old folder removed. */
  async update(files: Record<string, string>): Promise<void> {
    this.generation += 1;
    const folder = `..2026_01_01_00_00_00.${String(this.generation).padStart(9, '0')}`;
    await mkdir(join(this.dir, folder));
    for (const [name, content] of Object.entries(files))
      await writeFile(join(this.dir, folder, name), content);
    const previous = await readlink(join(this.dir, '..data')).catch(() => undefined);
    await symlink(folder, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (previous !== undefined) await rm(join(this.dir, previous), { recursive: true });
  }
}

/** The files of a `kubernetes.io/tls` Secret with `ca.crt`, as the operator writes them. */
export function tlsSecretFiles(material: TlsMaterial): Record<string, string> {
  return { 'ca.crt': material.caPem, 'tls.crt': material.certPem, 'tls.key': material.keyPem };
}

/** Opens a TLS connection as the worker would (ALPN h2) and returns the agent's certificate serial. */
export function agentSerial(address: string, client: TlsMaterial): Promise<string> {
  const [host = '', port = ''] = address.split(/:(?=\d+$)/);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host,
        port: Number(port),
        servername: GATEWAY_SERVER_NAME,
        ALPNProtocols: ['h2'],
        ca: client.caPem,
        cert: client.certPem,
        key: client.keyPem,
      },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        resolve(normalizeSerial(serial));
      },
    );
    socket.once('error', reject);
  });
}

/** Polls an asynchronous condition; the bound is for a file watcher to react, not a measurement. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

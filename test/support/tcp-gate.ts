/**
 * A TCP proxy in front of the API server that a test can close and open: a network partition
 * for one client, while the test itself keeps talking to the server directly.
 */
import { createServer, connect, type Socket } from 'node:net';

export class TcpGate {
  private readonly sockets = new Set<Socket>();
  private open = true;
  private readonly server = createServer((client) => {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  port = 0;

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<TcpGate> {
    const gate = new TcpGate(targetPort);
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    const address = gate.server.address();
    gate.port = typeof address === 'object' && address ? address.port : 0;
    return gate;
  }

  /** Cuts every connection and refuses new ones. */
  close(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  reopen(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

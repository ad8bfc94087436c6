import { createServer } from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago; the caller binds it next. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    // A client still retrying a port a stopped server had can connect in the moment we hold it:
    // a socket left open would delay close() forever and keep the process alive.
    const server = createServer((socket) => socket.destroy());
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** How a server says that another process took its port (Go, BIND and Node.js wordings). */
const PORT_CLASH = /address (already )?in use|EADDRINUSE/i;

export function isPortClash(error: unknown): boolean {
  return PORT_CLASH.test(error instanceof Error ? error.message : String(error));
}

/**
 * Runs `start` again, with the new ports it picks itself, when it failed because a port it was
 * given was taken between {@link freePort} and the server's bind: on a busy machine another
 * process can win that race. Any other failure is thrown at once.
 */
export async function retryOnPortClash<T>(start: (attempt: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (error) {
      if (attempt >= attempts || !isPortClash(error)) throw error;
    }
  }
}

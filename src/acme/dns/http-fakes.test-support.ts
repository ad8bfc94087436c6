/**
 * Test helpers for the DNS-01 providers: a local HTTP server that records every request and
 * answers through a handler (the fakes of Cloudflare, Route 53 and STS are built on it), and
 * `rejection`, which returns the error a promise fails with.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type FakeHandler = (request: RecordedRequest) => FakeResponse;

export class FakeHttpServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly requests: RecordedRequest[],
  ) {}

  static async start(handler: FakeHandler): Promise<FakeHttpServer> {
    const requests: RecordedRequest[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const request: RecordedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        requests.push(request);
        let response: FakeResponse;
        try {
          response = handler(request);
        } catch (err) {
          // A failed expectation inside the fake shows up in the test as a 599 with the reason.
          response = { status: 599, body: `fake server: ${(err as Error).message}` };
        }
        res.writeHead(response.status, response.headers ?? {});
        res.end(response.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeHttpServer(server, `http://127.0.0.1:${port}`, requests);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection, but the promise resolved');
}

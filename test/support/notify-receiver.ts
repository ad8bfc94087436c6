/**
 * A real HTTP receiver on 127.0.0.1 for notification tests: it records every request, checks the
 * HMAC-SHA256 signature (X-Signature: sha256=<hex>) with the key it is given, and answers from a
 * script (e.g. 429 with Retry-After, then 200), repeating the last answer once the script is spent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface Received {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Whether X-Signature matched the body under the key; undefined without a key. */
  readonly signatureValid: boolean | undefined;
  readonly answered: number;
  json(): unknown;
}

export class NotifyReceiver {
  readonly received: Received[] = [];
  private script: Answer[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly hmacKey: string | undefined,
  ) {}

  static async start(options: { hmacKey?: string; script?: Answer[] } = {}): Promise<NotifyReceiver> {
    const ref: { receiver?: NotifyReceiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const receiver = ref.receiver;
        if (!receiver) return;
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = receiver.next();
        receiver.received.push({
          path: req.url ?? '',
          headers: req.headers,
          body,
          signatureValid: receiver.verify(body, req.headers['x-signature']),
          answered: answer.status,
          json: (): unknown => JSON.parse(body),
        });
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the receiver has no port');
    const receiver = new NotifyReceiver(server, `http://127.0.0.1:${address.port}/hook`, options.hmacKey);
    receiver.script = [...(options.script ?? [])];
    ref.receiver = receiver;
    return receiver;
  }

  /** Answers to give next, in order. */
  answer(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private last: Answer = { status: 200 };

  private next(): Answer {
    const answer = this.script.shift() ?? this.last;
    this.last = answer;
    return answer;
  }

  private verify(body: string, header: string | string[] | undefined): boolean | undefined {
    if (this.hmacKey === undefined) return undefined;
    if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
    const expected = Buffer.from(createHmac('sha256', this.hmacKey).update(body).digest('hex'));
    const got = Buffer.from(header.slice('sha256='.length));
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

/**
 * DNS-01 through RFC 2136 dynamic updates (BIND, Knot, PowerDNS, Windows DNS): finds the zone
 * with an SOA query, then adds or deletes the one TXT value over TCP, signed with TSIG when a
 * key is configured, and turns the server's answer into an error a user can act on.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  absoluteName,
  encodeMessage,
  Opcode,
  Rcode,
  rcodeName,
  RRClass,
  RRType,
  txtRdata,
  type DecodedMessage,
} from './dns-message.js';
import {
  checkAnswer,
  DEFAULT_QUERY_TIMEOUT_MS,
  findZone,
  newMessageId,
  ZoneNotFoundError,
} from './dns-query.js';
import { exchange, formatServer, parseServer, type ServerAddress } from './dns-transport.js';
import type { DnsProvider } from './provider.js';
import { signMessage, tsigAlgorithmName, verifyResponse, type TsigKey } from './tsig.js';

export interface Rfc2136Options {
  /** The primary server, "host" or "host:port". */
  readonly nameserver: string;
  /** Sign updates with this key; unsigned updates when absent (servers that allow by address). */
  readonly tsig?: TsigKey;
  /** TTL of the TXT record, in seconds. */
  readonly ttl?: number;
  readonly timeoutMs?: number;
  /** TSIG timestamps; servers reject a signature more than 5 minutes off their own clock. */
  readonly clock?: Clock;
}

export type UpdateAction = 'add' | 'delete';

const DEFAULT_TTL = 60;

export class Rfc2136Provider implements DnsProvider {
  private readonly server: ServerAddress;

  constructor(private readonly options: Rfc2136Options) {
    this.server = parseServer(options.nameserver);
  }

  async present(fqdn: string, value: string): Promise<void> {
    await this.update('add', fqdn, value);
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    await this.update('delete', fqdn, value);
  }

  private async update(action: UpdateAction, fqdn: string, value: string): Promise<void> {
    // The primary must be authoritative, so it is asked directly, without recursion.
    const zone = await findZone(this.server, fqdn, {
      recursionDesired: false,
      timeoutMs: this.options.timeoutMs,
    }).catch((err: unknown) => {
      if (err instanceof ZoneNotFoundError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(
        `finding the zone of ${absoluteName(fqdn)} at ${formatServer(this.server)} failed: ${reason}`,
        {
          cause: err,
        },
      );
    });
    await updateTxt(this.options, zone, action, fqdn, value);
  }
}

/** Sends one UPDATE for `zone` that adds or deletes the TXT value `value` at `fqdn`. */
export async function updateTxt(
  options: Rfc2136Options,
  zone: string,
  action: UpdateAction,
  fqdn: string,
  value: string,
): Promise<void> {
  const server = parseServer(options.nameserver);
  const clock = options.clock ?? systemClock;
  const id = newMessageId();
  const unsigned = encodeMessage({
    id,
    opcode: Opcode.UPDATE,
    questions: [{ name: zone, type: RRType.SOA, class: RRClass.IN }],
    // Adding an RR that exists, or deleting one that does not, is a no-op (RFC 2136 §3.4.2),
    // which is what makes present and cleanup idempotent without prerequisites.
    authorities: [
      action === 'add'
        ? {
            name: fqdn,
            type: RRType.TXT,
            class: RRClass.IN,
            ttl: options.ttl ?? DEFAULT_TTL,
            rdata: txtRdata(value),
          }
        : { name: fqdn, type: RRType.TXT, class: RRClass.NONE, ttl: 0, rdata: txtRdata(value) },
    ],
  });
  const key = options.tsig;
  const signed = key ? signMessage(unsigned, key, clock.now() / 1000) : undefined;
  const verb = action === 'add' ? 'adding' : 'deleting';
  const what = `RFC 2136 ${verb} TXT ${absoluteName(fqdn)} in zone ${zone} at ${formatServer(server)}`;
  let raw: Buffer;
  try {
    raw = await exchange(server, signed?.message ?? unsigned, {
      timeoutMs: options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      transport: 'tcp',
    });
  } catch (err) {
    throw new Error(`${what} failed: ${(err as Error).message}`, { cause: err });
  }
  const answer = checkAnswer(raw, id, server);
  if (key && signed) {
    const verdict = verifyResponse(raw, answer, key, signed.mac, clock.now() / 1000);
    if (!verdict.ok && verdict.serverError !== undefined) {
      throw new Error(
        `${what} failed: the server rejected TSIG key "${absoluteName(key.name)}" ` +
          `(${tsigAlgorithmName(key.algorithm)}): ${verdict.reason}`,
      );
    }
    // An unverified success could be forged; an unverified failure is reported as the failure.
    if (!verdict.ok && answer.rcode === Rcode.NOERROR) throw new Error(`${what}: ${verdict.reason}`);
  }
  if (answer.rcode !== Rcode.NOERROR) {
    throw new Error(`${what} failed: ${explainRcode(answer, zone, fqdn, key)}`);
  }
}

function explainRcode(answer: DecodedMessage, zone: string, fqdn: string, key: TsigKey | undefined): string {
  const keyName = key ? `TSIG key "${absoluteName(key.name)}"` : 'unsigned updates';
  switch (answer.rcode) {
    case Rcode.NOTAUTH:
      return key
        ? `the server did not accept ${keyName} (NOTAUTH): check tsigKeyName, tsigAlgorithm and the secret`
        : `NOTAUTH: the server is not authoritative for ${zone} or wants a TSIG-signed update (set tsigKeyName)`;
    case Rcode.REFUSED:
      return (
        `REFUSED: ${keyName} may not update zone ${zone}; ` +
        `allow it in the zone's allow-update or update-policy on the server`
      );
    case Rcode.NOTZONE:
      return `NOTZONE: ${absoluteName(fqdn)} is not in zone ${zone} (is it delegated to another zone?)`;
    case Rcode.NOTIMP:
      return 'NOTIMP: the server does not accept dynamic updates (is it the primary for the zone?)';
    case Rcode.SERVFAIL:
      return 'SERVFAIL: the server could not apply the update (see its log)';
    default:
      return rcodeName(answer.rcode);
  }
}

/**
 * Plain DNS questions DNS-01 asks: one query (UDP, retried over TCP when truncated), and the
 * zone a name belongs to, found from the SOA record the way RFC 2136 §4 and every ACME client do.
 */
import { randomInt } from 'node:crypto';
import {
  absoluteName,
  decodeMessage,
  encodeMessage,
  isSubdomain,
  Opcode,
  parentName,
  Rcode,
  rcodeName,
  RRClass,
  RRType,
  sameName,
  type DecodedMessage,
} from './dns-message.js';
import { exchange, formatServer, type ServerAddress } from './dns-transport.js';

export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

export interface QueryOptions {
  /** Ask a recursive resolver to resolve (RD); off when asking an authoritative server directly. */
  readonly recursionDesired: boolean;
  readonly timeoutMs?: number;
}

/** The server answered, and what it said means no zone holds the name there. */
export class ZoneNotFoundError extends Error {
  override name = 'ZoneNotFoundError';
}

export function newMessageId(): number {
  return randomInt(0x10000);
}

export async function query(
  server: ServerAddress,
  name: string,
  type: number,
  options: QueryOptions,
): Promise<DecodedMessage> {
  const id = newMessageId();
  const message = encodeMessage({
    id,
    opcode: Opcode.QUERY,
    recursionDesired: options.recursionDesired,
    questions: [{ name, type, class: RRClass.IN }],
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  let answer = checkAnswer(await exchange(server, message, { timeoutMs, transport: 'udp' }), id, server);
  if (answer.truncated) {
    answer = checkAnswer(await exchange(server, message, { timeoutMs, transport: 'tcp' }), id, server);
  }
  const question = answer.questions[0];
  if (question && (!sameName(question.name, name) || question.type !== type)) {
    throw new Error(`${formatServer(server)} answered another question (${question.name})`);
  }
  return answer;
}

/** Decodes an answer and checks it answers the message with ID `id`. */
export function checkAnswer(raw: Buffer, id: number, server: ServerAddress): DecodedMessage {
  let answer: DecodedMessage;
  try {
    answer = decodeMessage(raw);
  } catch (err) {
    throw new Error(`${formatServer(server)} sent a malformed DNS answer: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!answer.response || answer.id !== id)
    throw new Error(`${formatServer(server)} sent an unrelated DNS message`);
  return answer;
}

/**
 * The zone `name` belongs to, as `server` sees it. An authoritative server answers a name in
 * its zone with the zone's SOA (in the answer at the apex, in the authority section below it);
 * a server that holds no such zone refuses, which is the clearest sign of a misconfiguration.
 */
export async function findZone(server: ServerAddress, name: string, options: QueryOptions): Promise<string> {
  for (let candidate: string | undefined = absoluteName(name); candidate; candidate = parentName(candidate)) {
    const answer = await query(server, candidate, RRType.SOA, options);
    if (answer.rcode === Rcode.REFUSED) {
      throw new ZoneNotFoundError(
        `${formatServer(server)} refused the SOA query for ${candidate}: it is not authoritative for ` +
          `any zone containing ${absoluteName(name)}${options.recursionDesired ? ' and does not resolve it' : ''}`,
      );
    }
    if (answer.rcode !== Rcode.NOERROR && answer.rcode !== Rcode.NXDOMAIN) {
      throw new Error(
        `SOA query for ${candidate} at ${formatServer(server)} failed: ${rcodeName(answer.rcode)}`,
      );
    }
    const apex = answer.answers.find((r) => r.type === RRType.SOA && sameName(r.name, candidate));
    if (apex) return absoluteName(apex.name);
    // Below the apex the SOA comes in the authority section, unless the name is an alias: then it
    // is the SOA of the alias target's zone, so keep walking up instead.
    const aliased = answer.answers.some((r) => r.type === RRType.CNAME);
    const soa = answer.authorities.find((r) => r.type === RRType.SOA);
    if (soa && !aliased && isSubdomain(candidate, soa.name)) return absoluteName(soa.name);
  }
  throw new ZoneNotFoundError(`${formatServer(server)} knows no zone containing ${absoluteName(name)}`);
}

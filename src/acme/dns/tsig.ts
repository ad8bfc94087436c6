/**
 * TSIG (RFC 8945): signs a DNS message with a shared HMAC key and verifies the server's signed
 * answer, so an RFC 2136 update can neither be forged nor have its reply forged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { encodeName, RRClass, RRType, sameName, type DecodedMessage, type TsigData } from './dns-message.js';

export type TsigAlgorithm = 'HMACMD5' | 'HMACSHA1' | 'HMACSHA256' | 'HMACSHA512';

export interface TsigKey {
  /** The key's name as the server knows it (a domain name, e.g. "acme-update."). */
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  /** The shared secret, base64 as `tsig-keygen` prints it. */
  readonly secret: string;
}

const ALGORITHMS: Readonly<Record<TsigAlgorithm, { wireName: string; hash: string }>> = {
  HMACMD5: { wireName: 'hmac-md5.sig-alg.reg.int.', hash: 'md5' },
  HMACSHA1: { wireName: 'hmac-sha1.', hash: 'sha1' },
  HMACSHA256: { wireName: 'hmac-sha256.', hash: 'sha256' },
  HMACSHA512: { wireName: 'hmac-sha512.', hash: 'sha512' },
};

/** How far the signer's clock may be from ours, in seconds; 300 is what RFC 8945 recommends. */
const FUDGE = 300;

const TSIG_ERRORS: Readonly<Record<number, string>> = {
  16: 'BADSIG (the secret or algorithm does not match the key the server has)',
  17: 'BADKEY (the server does not know a key by that name and algorithm)',
  18: 'BADTIME (the clocks of the operator and the DNS server differ by more than 5 minutes)',
  22: 'BADTRUNC (the server refused a truncated MAC)',
};

export function tsigErrorName(code: number): string {
  return TSIG_ERRORS[code] ?? `TSIG error ${code}`;
}

/** The BIND/dnssec-keygen spelling of an algorithm, e.g. "hmac-sha256" for HMACSHA256. */
export function tsigAlgorithmName(algorithm: TsigAlgorithm): string {
  return ALGORITHMS[algorithm].wireName.replace(/\.sig-alg\.reg\.int\.$|\.$/, '');
}

function secretBytes(key: TsigKey): Buffer {
  const bytes = Buffer.from(key.secret.trim(), 'base64');
  if (bytes.length === 0) throw new Error(`the TSIG secret of key "${key.name}" is empty or not base64`);
  return bytes;
}

function u48(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(value / 2 ** 32), 0);
  b.writeUInt32BE(value % 2 ** 32, 2);
  return b;
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

/** The TSIG variables the MAC covers after the message (RFC 8945 §4.3.3). */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    encodeName(key.name, true),
    u16(RRClass.ANY),
    Buffer.alloc(4), // TTL 0
    encodeName(ALGORITHMS[key.algorithm].wireName, true),
    u48(timeSigned),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac(ALGORITHMS[key.algorithm].hash, secretBytes(key));
  for (const part of parts) h.update(part);
  return h.digest();
}

export interface SignedMessage {
  readonly message: Buffer;
  /** The request MAC, which the response's MAC covers. */
  readonly mac: Buffer;
}

/** Appends a TSIG record to `message` (whose ID is the original ID) and counts it in ARCOUNT. */
export function signMessage(message: Buffer, key: TsigKey, nowSeconds: number): SignedMessage {
  const timeSigned = Math.floor(nowSeconds);
  const mac = hmac(key, message, variables(key, timeSigned, FUDGE, 0, Buffer.alloc(0)));
  const rdata = Buffer.concat([
    encodeName(ALGORITHMS[key.algorithm].wireName, true),
    u48(timeSigned),
    u16(FUDGE),
    u16(mac.length),
    mac,
    message.subarray(0, 2), // original ID
    u16(0), // error
    u16(0), // other length
  ]);
  const record = Buffer.concat([
    encodeName(key.name, true),
    u16(RRType.TSIG),
    u16(RRClass.ANY),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

export type TsigVerdict =
  | { readonly ok: true }
  /** The server answered with a TSIG error: it could not verify our request. */
  | { readonly ok: false; readonly serverError: number; readonly reason: string }
  /** The answer itself is not signed by the key, or its signature is wrong. */
  | { readonly ok: false; readonly serverError?: undefined; readonly reason: string };

/** Verifies the TSIG of `raw` (decoded as `decoded`), the answer to a request signed with `requestMac`. */
export function verifyResponse(
  raw: Buffer,
  decoded: DecodedMessage,
  key: TsigKey,
  requestMac: Buffer,
  nowSeconds: number,
): TsigVerdict {
  const record = decoded.additionals.at(-1);
  if (record?.type !== RRType.TSIG || record.data.kind !== 'tsig') {
    return { ok: false, reason: 'the answer is not signed (no TSIG record)' };
  }
  const tsig: TsigData = record.data;
  if (tsig.error !== 0) return { ok: false, serverError: tsig.error, reason: tsigErrorName(tsig.error) };
  if (!sameName(record.name, key.name) || !sameName(tsig.algorithm, ALGORITHMS[key.algorithm].wireName)) {
    return { ok: false, reason: `the answer is signed with another key (${record.name} ${tsig.algorithm})` };
  }
  // The MAC covers the message as it was before the TSIG record was added: without it, with
  // ARCOUNT one lower and the original ID (RFC 8945 §5.3).
  const unsigned = Buffer.from(raw.subarray(0, record.offset));
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  unsigned.writeUInt16BE(tsig.originalId, 0);
  const expected = hmac(
    key,
    u16(requestMac.length),
    requestMac,
    unsigned,
    variables(key, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other),
  );
  // A truncated MAC is allowed down to half the digest and no less than 10 bytes (RFC 8945 §5.2.2.1).
  const minLength = Math.max(10, expected.length / 2);
  if (tsig.mac.length < minLength || tsig.mac.length > expected.length) {
    return { ok: false, reason: `the answer's MAC has a bad length (${tsig.mac.length} bytes)` };
  }
  if (!timingSafeEqual(tsig.mac, expected.subarray(0, tsig.mac.length))) {
    return { ok: false, reason: "the answer's TSIG signature does not verify with our key" };
  }
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge) {
    return { ok: false, reason: 'the answer was signed outside the allowed time window (clock skew?)' };
  }
  return { ok: true };
}

/**
 * The DNS wire format (RFC 1035, RFC 2136 for UPDATE), only as much as DNS-01 needs: queries
 * and updates out, answers in, with the offsets TSIG verification needs to re-hash a response.
 * Names are written uncompressed (always allowed) and read with compression pointers followed.
 */
import { isIPv4 } from 'node:net';

export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, TSIG: 250, ANY: 255 } as const;
export const RRClass = { IN: 1, NONE: 254, ANY: 255 } as const;
export const Opcode = { QUERY: 0, UPDATE: 5 } as const;

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
] as const;
export const Rcode = Object.fromEntries(RCODE_NAMES.map((name, code) => [name, code])) as {
  readonly [K in (typeof RCODE_NAMES)[number]]: number;
};

export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** A record to write: its RDATA already in wire form (see {@link txtRdata}). */
export interface RecordToEncode {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Buffer;
}

export interface MessageToEncode {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired?: boolean;
  /** The question section; for UPDATE, the zone section (one SOA "question" naming the zone). */
  readonly questions: readonly Question[];
  /** For UPDATE, the prerequisite section. */
  readonly answers?: readonly RecordToEncode[];
  /** For UPDATE, the update section. */
  readonly authorities?: readonly RecordToEncode[];
  readonly additionals?: readonly RecordToEncode[];
}

export interface TsigData {
  readonly kind: 'tsig';
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
}

export type RecordData =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'soa'; readonly mname: string; readonly rname: string; readonly serial: number }
  | { readonly kind: 'txt'; readonly strings: readonly string[] }
  | TsigData
  | { readonly kind: 'raw' };

export interface DecodedRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: RecordData;
  /** Where the record starts in the message: TSIG verification hashes everything before it. */
  readonly offset: number;
}

export interface DecodedMessage {
  readonly id: number;
  readonly response: boolean;
  readonly opcode: number;
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly rcode: number;
  readonly questions: readonly Question[];
  readonly answers: readonly DecodedRecord[];
  readonly authorities: readonly DecodedRecord[];
  readonly additionals: readonly DecodedRecord[];
}

/** `name` with exactly one trailing dot; the root is ".". */
export function absoluteName(name: string): string {
  const trimmed = name.trim().replace(/\.+$/, '');
  return trimmed === '' ? '.' : `${trimmed}.`;
}

/** DNS names compare case-insensitively (RFC 4343). */
export function sameName(a: string, b: string): boolean {
  return absoluteName(a).toLowerCase() === absoluteName(b).toLowerCase();
}

/** Whether `name` is `ancestor` or below it. */
export function isSubdomain(name: string, ancestor: string): boolean {
  const n = absoluteName(name).toLowerCase();
  const a = absoluteName(ancestor).toLowerCase();
  return a === '.' || n === a || n.endsWith(`.${a}`);
}

/** `name` without its first label; the root's parent is undefined. */
export function parentName(name: string): string | undefined {
  const n = absoluteName(name);
  if (n === '.') return undefined;
  const dot = n.indexOf('.');
  return absoluteName(n.slice(dot + 1));
}

/** A name in wire form, uncompressed; `lowercase` gives the canonical form TSIG hashes. */
export function encodeName(name: string, lowercase = false): Buffer {
  const n = absoluteName(lowercase ? name.toLowerCase() : name);
  if (n === '.') return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of n.slice(0, -1).split('.')) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0) throw new Error(`invalid DNS name "${name}": empty label`);
    if (bytes.length > 63) throw new Error(`invalid DNS name "${name}": label "${label}" is over 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new Error(`invalid DNS name "${name}": over 255 bytes`);
  return wire;
}

/** TXT RDATA: the value as character-strings of at most 255 bytes each. */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length || parts.length === 0; at += 255) {
    const chunk = bytes.subarray(at, at + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function encodeRecord(record: RecordToEncode): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(record.type, 0);
  fixed.writeUInt16BE(record.class, 2);
  fixed.writeUInt32BE(record.ttl, 4);
  fixed.writeUInt16BE(record.rdata.length, 8);
  return Buffer.concat([encodeName(record.name), fixed, record.rdata]);
}

export function encodeMessage(message: MessageToEncode): Buffer {
  const answers = message.answers ?? [];
  const authorities = message.authorities ?? [];
  const additionals = message.additionals ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(((message.opcode & 0xf) << 11) | (message.recursionDesired ? 0x0100 : 0), 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(additionals.length, 10);
  return Buffer.concat([
    header,
    ...message.questions.map((q) => Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)])),
    ...[...answers, ...authorities, ...additionals].map(encodeRecord),
  ]);
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public at = 0,
  ) {}

  need(n: number): void {
    if (this.at + n > this.buf.length) throw new Error('truncated DNS message');
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.at++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** A possibly compressed name; pointers may only point backwards, which also bounds loops. */
  name(): string {
    const labels: string[] = [];
    let at = this.at;
    let resumeAt: number | undefined;
    for (;;) {
      if (at >= this.buf.length) throw new Error('truncated DNS name');
      const len = this.buf.readUInt8(at);
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.buf.length) throw new Error('truncated DNS name');
        const target = ((len & 0x3f) << 8) | this.buf.readUInt8(at + 1);
        if (target >= at) throw new Error('bad DNS name compression pointer');
        resumeAt ??= at + 2;
        at = target;
        continue;
      }
      if (len & 0xc0) throw new Error('unsupported DNS label type');
      if (len === 0) {
        this.at = resumeAt ?? at + 1;
        return labels.length === 0 ? '.' : `${labels.join('.')}.`;
      }
      if (at + 1 + len > this.buf.length) throw new Error('truncated DNS name');
      labels.push(this.buf.toString('latin1', at + 1, at + 1 + len));
      at += 1 + len;
    }
  }
}

function decodeData(reader: Reader, type: number, length: number): RecordData {
  const end = reader.at + length;
  reader.need(length);
  let data: RecordData;
  switch (type) {
    case RRType.A:
    case RRType.AAAA: {
      const raw = reader.bytes(length);
      data = { kind: 'address', address: formatAddress(raw) };
      break;
    }
    case RRType.NS:
    case RRType.CNAME:
      data = { kind: 'name', name: reader.name() };
      break;
    case RRType.SOA:
      data = { kind: 'soa', mname: reader.name(), rname: reader.name(), serial: reader.u32() };
      break;
    case RRType.TXT: {
      const strings: string[] = [];
      while (reader.at < end) strings.push(reader.bytes(reader.u8()).toString('utf8'));
      data = { kind: 'txt', strings };
      break;
    }
    case RRType.TSIG: {
      const algorithm = reader.name();
      const timeSigned = reader.u16() * 2 ** 32 + reader.u32();
      const fudge = reader.u16();
      const mac = reader.bytes(reader.u16());
      const originalId = reader.u16();
      const error = reader.u16();
      const other = reader.bytes(reader.u16());
      data = { kind: 'tsig', algorithm, timeSigned, fudge, mac, originalId, error, other };
      break;
    }
    default:
      data = { kind: 'raw' };
  }
  reader.at = end;
  return data;
}

function formatAddress(raw: Buffer): string {
  if (raw.length === 4) return [...raw].join('.');
  if (raw.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  throw new Error(`bad address length ${raw.length}`);
}

function decodeRecords(reader: Reader, count: number): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const offset = reader.at;
    const name = reader.name();
    const type = reader.u16();
    const klass = reader.u16();
    const ttl = reader.u32();
    const length = reader.u16();
    records.push({ name, type, class: klass, ttl, data: decodeData(reader, type, length), offset });
  }
  return records;
}

export function decodeMessage(buf: Buffer): DecodedMessage {
  const reader = new Reader(buf);
  const id = reader.u16();
  const flags = reader.u16();
  const counts = [reader.u16(), reader.u16(), reader.u16(), reader.u16()] as const;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++)
    questions.push({ name: reader.name(), type: reader.u16(), class: reader.u16() });
  return {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: decodeRecords(reader, counts[1]),
    authorities: decodeRecords(reader, counts[2]),
    additionals: decodeRecords(reader, counts[3]),
  };
}

/** The TXT values of `name` in a record list, each value's strings joined as RFC 7208 does. */
export function txtValues(records: readonly DecodedRecord[], name: string): string[] {
  return records.flatMap((r) =>
    r.type === RRType.TXT && r.data.kind === 'txt' && sameName(r.name, name) ? [r.data.strings.join('')] : [],
  );
}

export function isIpAddress(host: string): boolean {
  return isIPv4(host) || host.includes(':');
}

/**
 * What the gateway's WAF reads from a request (its `RequestContext`): uri, method, ip,
 * user_agent, content_type, content_length, header.<Name> (names case-insensitive; of several
 * spellings of one name the first counts, as HeaderMap::get) and query.<name> (form-decoded
 * from the URI's query string; the last of repeated parameters wins, as when pairs are
 * collected into a map). A missing header or parameter reads as ''.
 */
import { formatAddress, parseAddress } from './ip.js';
import type { WafRequest } from './model.js';

/** A field name as looked up: header names lower-cased, everything else as written. */
export function fieldKey(field: string): string {
  return field.startsWith('header.') ? `header.${field.slice('header.'.length).toLowerCase()}` : field;
}

type Kind = 'uri' | 'method' | 'ip' | 'user_agent' | 'content_type' | 'content_length' | 'header' | 'query';

/** How to read one field, worked out once per rule set instead of once per request. */
export interface FieldReader {
  readonly kind: Kind;
  /** The header name (lower case) or the parameter name. */
  readonly name: string;
}

const SIMPLE: readonly string[] = ['uri', 'method', 'ip', 'user_agent', 'content_type', 'content_length'];

export function fieldReader(key: string): FieldReader {
  if (SIMPLE.includes(key)) return { kind: key as Kind, name: '' };
  if (key.startsWith('header.')) return { kind: 'header', name: key.slice('header.'.length).toLowerCase() };
  if (key.startsWith('query.')) return { kind: 'query', name: key.slice('query.'.length) };
  throw new Error(`not a request field: ${key}`);
}

/** Bytes of a string in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function queryParams(uri: string): Map<string, string> {
  const start = uri.indexOf('?');
  const params = new Map<string, string>();
  if (start < 0) return params;
  const end = uri.indexOf('#', start);
  for (const [name, value] of new URLSearchParams(uri.slice(start + 1, end < 0 ? undefined : end))) {
    params.set(name, value);
  }
  return params;
}

/** Header names repeat across requests; lower-casing each once saves an allocation per header. */
const lowerNames = new Map<string, string>();

function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size >= 4096) lowerNames.clear();
    lowerNames.set(name, lower);
  }
  return lower;
}

/** One request, with the parts that cost something to derive computed on first use. */
export class RequestFields {
  private headerMap: Map<string, string> | undefined;
  private queryMap: Map<string, string> | undefined;
  private length: number | undefined;
  private numbers: Map<string, number | undefined> | undefined;

  constructor(readonly request: WafRequest) {}

  header(lowerName_: string): string {
    if (!this.headerMap) {
      this.headerMap = new Map();
      const headers = this.request.headers;
      if (headers) {
        for (const name in headers) {
          const lower = lowerName(name);
          const value = headers[name];
          if (value !== undefined && !this.headerMap.has(lower)) this.headerMap.set(lower, value);
        }
      }
    }
    return this.headerMap.get(lowerName_) ?? '';
  }

  /** The body's size in bytes when there is a body, else the Content-Length header, else 0. */
  contentLength(): number {
    if (this.length === undefined) {
      const body = this.request.body;
      const declared = this.header('content-length').trim();
      this.length =
        body !== undefined ? utf8Length(body) : /^[0-9]{1,15}$/.test(declared) ? Number(declared) : 0;
    }
    return this.length;
  }

  /** A field read as a number by `parse` (once per request); content_length needs no parsing. */
  number(key: string, parse: (text: string) => number | undefined): number | undefined {
    if (key === 'content_length') return this.contentLength();
    this.numbers ??= new Map();
    if (!this.numbers.has(key)) this.numbers.set(key, parse(this.read(key)));
    return this.numbers.get(key);
  }

  /** The value of a field given by its {@link fieldKey}. */
  read(key: string): string {
    return this.readWith(fieldReader(key));
  }

  readWith(reader: FieldReader): string {
    switch (reader.kind) {
      case 'uri':
        return this.request.uri;
      case 'method':
        return this.request.method ?? 'GET';
      case 'ip': {
        // The gateway reads Rust's text of its IpAddr: canonical, IPv6 lower-case and compressed.
        const ip = this.request.ip;
        const address = ip === undefined ? undefined : parseAddress(ip);
        return address ? formatAddress(address.family, address.value) : (ip ?? '');
      }
      case 'user_agent':
        return this.header('user-agent');
      case 'content_type':
        return this.header('content-type');
      case 'content_length':
        return String(this.contentLength());
      case 'header':
        return this.header(reader.name);
      case 'query':
        this.queryMap ??= queryParams(this.request.uri);
        return this.queryMap.get(reader.name) ?? '';
    }
  }
}

/**
 * What the gateway's WAF reads from a request (its `RequestContext`): uri, method, ip,
 * user_agent, content_type, content_length, header.<Name> (names case-insensitive) and
 * query.<name> (form-decoded from the URI's query string; the last of repeated parameters wins,
 * as when pairs are collected into a map). A missing header or parameter reads as ''.
 */
import { formatAddress, parseAddress } from './ip.js';
import type { WafRequest } from './model.js';

/** A field name as looked up: header names lower-cased, everything else as written. */
export function fieldKey(field: string): string {
  return field.startsWith('header.') ? `header.${field.slice('header.'.length).toLowerCase()}` : field;
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

/** One request, with the parts that cost something to derive computed on first use. */
export class RequestFields {
  private headerMap: Map<string, string> | undefined;
  private queryMap: Map<string, string> | undefined;
  private length: number | undefined;

  constructor(readonly request: WafRequest) {}

  private clientAddress: { family: 4 | 6; value: bigint } | undefined | null = null;

  /** The client's address, or undefined when the request has none (or not a valid one). */
  get client(): { family: 4 | 6; value: bigint } | undefined {
    if (this.clientAddress === null) {
      this.clientAddress = this.request.ip === undefined ? undefined : parseAddress(this.request.ip);
    }
    return this.clientAddress;
  }

  header(lowerName: string): string {
    if (!this.headerMap) {
      this.headerMap = new Map();
      for (const [name, value] of Object.entries(this.request.headers ?? {})) {
        this.headerMap.set(name.toLowerCase(), value);
      }
    }
    return this.headerMap.get(lowerName) ?? '';
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

  /** The value of a field given by its {@link fieldKey}. */
  read(key: string): string {
    switch (key) {
      case 'uri':
        return this.request.uri;
      case 'method':
        return this.request.method ?? 'GET';
      case 'ip': {
        // The gateway reads Rust's text of its IpAddr: canonical, IPv6 lower-case and compressed.
        const client = this.client;
        return client ? formatAddress(client.family, client.value) : (this.request.ip ?? '');
      }
      case 'user_agent':
        return this.header('user-agent');
      case 'content_type':
        return this.header('content-type');
      case 'content_length':
        return String(this.contentLength());
      default:
        break;
    }
    if (key.startsWith('header.')) return this.header(key.slice('header.'.length));
    if (key.startsWith('query.')) {
      this.queryMap ??= queryParams(this.request.uri);
      return this.queryMap.get(key.slice('query.'.length)) ?? '';
    }
    return '';
  }
}

/**
 * DNS-01 through the Cloudflare v4 API with an API token: finds the zone (GET /zones?name=),
 * creates the TXT record (POST /zones/{id}/dns_records) and deletes exactly that record on
 * cleanup (GET dns_records by type and name, DELETE /zones/{id}/dns_records/{record_id}).
 */
import { absoluteName, parentName } from './dns-message.js';
import { excerpt, httpCall, joinUrl, type HttpResponse } from './http-call.js';
import type { DnsProvider } from './provider.js';

export interface CloudflareOptions {
  readonly apiToken: string;
  /** API base URL, https://api.cloudflare.com/client/v4 by default. */
  readonly baseUrl?: string;
  /** TTL in seconds; 120 is the minimum for most plans (1 would mean "automatic"). */
  readonly ttl?: number;
  readonly timeoutMs?: number;
}

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';
const DEFAULT_TTL = 120;
/** "An identical record already exists." — present is idempotent, so that is success. */
const IDENTICAL_RECORD_EXISTS = 81058;

interface Envelope<T> {
  readonly success?: boolean;
  readonly errors?: readonly { readonly code?: number; readonly message?: string }[];
  readonly result?: T;
}

interface Zone {
  readonly id: string;
  readonly name: string;
}

interface DnsRecord {
  readonly id: string;
  readonly content?: string;
}

/** Cloudflare wants TXT content as quoted character-strings (it warns about bare content). */
function quoteTxt(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A record name as the API writes it: no final dot. */
function apiName(name: string): string {
  return absoluteName(name).slice(0, -1);
}

class CloudflareError extends Error {
  constructor(
    message: string,
    readonly codes: readonly number[],
  ) {
    super(message);
  }
}

export class CloudflareProvider implements DnsProvider {
  private readonly baseUrl: string;
  private readonly zones = new Map<string, string>();

  constructor(private readonly options: CloudflareOptions) {
    this.baseUrl = options.baseUrl ?? CLOUDFLARE_API;
  }

  async present(fqdn: string, value: string): Promise<void> {
    const zoneId = await this.zoneFor(fqdn);
    const record = {
      type: 'TXT',
      name: apiName(fqdn),
      content: quoteTxt(value),
      ttl: this.options.ttl ?? DEFAULT_TTL,
    };
    try {
      await this.call<DnsRecord>('POST', `/zones/${zoneId}/dns_records`, {}, record);
    } catch (err) {
      if (err instanceof CloudflareError && err.codes.includes(IDENTICAL_RECORD_EXISTS)) return;
      throw err;
    }
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    const zoneId = await this.zoneFor(fqdn);
    const records = await this.call<DnsRecord[]>('GET', `/zones/${zoneId}/dns_records`, {
      type: 'TXT',
      name: apiName(fqdn),
      per_page: '100',
    });
    // Only this challenge's value: another one may share the name (example.com and *.example.com).
    const ours = (records ?? []).filter((r) => r.content === quoteTxt(value) || r.content === value);
    for (const record of ours) await this.call('DELETE', `/zones/${zoneId}/dns_records/${record.id}`);
  }

  private async zoneFor(fqdn: string): Promise<string> {
    const name = absoluteName(fqdn);
    const cached = this.zones.get(name);
    if (cached) return cached;
    const tried: string[] = [];
    // Deepest first: _acme-challenge itself may be a delegated zone. A TLD cannot be a zone.
    for (let candidate = name; candidate.split('.').length > 2; candidate = parentName(candidate) ?? '.') {
      tried.push(apiName(candidate));
      const zones = await this.call<Zone[]>('GET', '/zones', { name: apiName(candidate) });
      const zone = zones?.[0];
      if (zone) {
        this.zones.set(name, zone.id);
        return zone.id;
      }
    }
    throw new Error(
      `no Cloudflare zone found for ${apiName(name)} (looked for ${tried.join(', ')}); ` +
        'check that the API token has Zone:Zone:Read on the zone',
    );
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Readonly<Record<string, string>> = {},
    body?: unknown,
  ): Promise<T | undefined> {
    const response = await httpCall(joinUrl(this.baseUrl, path, query), {
      method,
      headers: {
        authorization: `Bearer ${this.options.apiToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.options.timeoutMs,
    });
    let envelope: Envelope<T> | undefined;
    try {
      envelope = JSON.parse(response.body) as Envelope<T>;
    } catch {
      envelope = undefined;
    }
    if (response.status >= 200 && response.status < 300 && envelope?.success === true) return envelope.result;
    throw cloudflareError(method, path, response, envelope);
  }
}

function cloudflareError(
  method: string,
  path: string,
  response: HttpResponse,
  envelope: Envelope<unknown> | undefined,
): CloudflareError {
  const errors = envelope?.errors ?? [];
  const detail =
    errors.length > 0
      ? errors.map((e) => `${e.code ?? '?'} ${e.message ?? ''}`.trim()).join('; ')
      : excerpt(response.body);
  let message = `Cloudflare API ${method} ${path} failed (HTTP ${response.status}): ${detail}`;
  if (response.status === 401 || response.status === 403) {
    message +=
      '. Check that the API token is valid and has the Zone:Zone:Read and Zone:DNS:Edit permissions on the zone';
  } else if (response.status === 429) {
    message += '. Cloudflare is rate-limiting this token; the next attempt will retry';
  }
  return new CloudflareError(
    message,
    errors.flatMap((e) => (e.code === undefined ? [] : [e.code])),
  );
}

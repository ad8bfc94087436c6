/**
 * DNS-01 through the AWS Route 53 REST-XML API (2013-04-01), signed with SigV4: finds the public
 * hosted zone (ListHostedZonesByName) unless one is configured, reads the TXT record set
 * (ListResourceRecordSets), and UPSERTs it with the value added, or removes just that value
 * (UPSERT of the rest, or DELETE of the last one) with ChangeResourceRecordSets.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { AwsCredentialProvider } from './aws-credentials.js';
import { signRequest } from './aws-sigv4.js';
import { absoluteName, parentName, sameName } from './dns-message.js';
import { excerpt, httpCall, joinUrl, type HttpResponse } from './http-call.js';
import type { DnsProvider } from './provider.js';
import { xmlElements, xmlEscape, xmlText, xmlUnescape } from './xml.js';

export interface Route53Options {
  readonly region: string;
  /** Use this hosted zone ("Z123..." or "/hostedzone/Z123...") instead of looking it up. */
  readonly hostedZoneId?: string;
  readonly credentials: AwsCredentialProvider;
  /** API base URL; the partition's global endpoint by default. */
  readonly baseUrl?: string;
  readonly ttl?: number;
  readonly timeoutMs?: number;
  readonly clock?: Clock;
}

const API = '/2013-04-01';
const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const DEFAULT_TTL = 60;

/** Route 53 is global: one endpoint and one signing region per partition. */
export function route53Endpoint(region: string): { baseUrl: string; signingRegion: string } {
  if (region.startsWith('cn-'))
    return { baseUrl: 'https://route53.amazonaws.com.cn', signingRegion: 'cn-northwest-1' };
  if (region.startsWith('us-gov-')) {
    return { baseUrl: 'https://route53.us-gov.amazonaws.com', signingRegion: 'us-gov-west-1' };
  }
  return { baseUrl: 'https://route53.amazonaws.com', signingRegion: 'us-east-1' };
}

interface TxtRecordSet {
  readonly ttl: number;
  /** Values as Route 53 holds them: each a quoted character-string. */
  readonly values: readonly string[];
}

/** A TXT value as Route 53 wants it: in double quotes, with quotes and backslashes escaped. */
function quoteTxt(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// One read-modify-write of a record set at a time within this process: the apex and wildcard
// challenges of one certificate share a name, and two interleaved UPSERTs would lose a value.
const recordSetLocks = new Map<string, Promise<void>>();

async function serialized(key: string, work: () => Promise<void>): Promise<void> {
  const previous = recordSetLocks.get(key) ?? Promise.resolve();
  const current = previous.then(work, work);
  const tail = current.catch(() => undefined);
  recordSetLocks.set(key, tail);
  try {
    await current;
  } finally {
    if (recordSetLocks.get(key) === tail) recordSetLocks.delete(key);
  }
}

export class Route53Provider implements DnsProvider {
  private readonly baseUrl: string;
  private readonly signingRegion: string;
  private readonly zones = new Map<string, string>();

  constructor(private readonly options: Route53Options) {
    const endpoint = route53Endpoint(options.region);
    this.baseUrl = options.baseUrl ?? endpoint.baseUrl;
    this.signingRegion = endpoint.signingRegion;
  }

  async present(fqdn: string, value: string): Promise<void> {
    const name = absoluteName(fqdn);
    const zoneId = await this.zoneFor(name);
    await serialized(`${zoneId}/${name.toLowerCase()}`, async () => {
      const existing = await this.txtRecordSet(zoneId, name);
      const quoted = quoteTxt(value);
      if (existing?.values.includes(quoted)) return;
      const values = [...(existing?.values ?? []), quoted];
      await this.change(zoneId, 'UPSERT', name, this.options.ttl ?? DEFAULT_TTL, values);
    });
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    const name = absoluteName(fqdn);
    const zoneId = await this.zoneFor(name);
    await serialized(`${zoneId}/${name.toLowerCase()}`, async () => {
      const existing = await this.txtRecordSet(zoneId, name);
      const quoted = quoteTxt(value);
      if (!existing?.values.includes(quoted)) return;
      const rest = existing.values.filter((v) => v !== quoted);
      // DELETE must repeat the record set exactly as it is, TTL included.
      if (rest.length === 0) await this.change(zoneId, 'DELETE', name, existing.ttl, existing.values);
      else await this.change(zoneId, 'UPSERT', name, existing.ttl, rest);
    });
  }

  private async zoneFor(name: string): Promise<string> {
    if (this.options.hostedZoneId) return this.options.hostedZoneId.replace(/^\/?hostedzone\//, '');
    const cached = this.zones.get(name);
    if (cached) return cached;
    const tried: string[] = [];
    // Deepest first: _acme-challenge itself may be a delegated zone. A TLD cannot be a hosted zone.
    for (let candidate = name; candidate.split('.').length > 2; candidate = parentName(candidate) ?? '.') {
      tried.push(candidate);
      const body = await this.call('ListHostedZonesByName', 'GET', `${API}/hostedzonesbyname`, {
        dnsname: candidate,
        maxitems: '10',
      });
      // The list starts at `dnsname` in label order; only an exact, public match is our zone.
      for (const zone of xmlElements(body, 'HostedZone')) {
        const zoneName = xmlText(zone, 'Name') ?? '';
        const isPrivate = xmlText(zone, 'PrivateZone') === 'true';
        const id = xmlText(zone, 'Id');
        if (id && !isPrivate && sameName(xmlUnescape(zoneName), candidate)) {
          const zoneId = id.replace(/^\/?hostedzone\//, '');
          this.zones.set(name, zoneId);
          return zoneId;
        }
      }
    }
    throw new Error(
      `no public Route 53 hosted zone found for ${name} (looked for ${tried.join(', ')}); set route53.hostedZoneID, ` +
        'or check that the credentials may call route53:ListHostedZonesByName',
    );
  }

  private async txtRecordSet(zoneId: string, name: string): Promise<TxtRecordSet | undefined> {
    const body = await this.call('ListResourceRecordSets', 'GET', `${API}/hostedzone/${zoneId}/rrset`, {
      name,
      type: 'TXT',
      maxitems: '1',
    });
    // The list starts at (name, type) but goes on to the next record set when there is none.
    for (const set of xmlElements(body, 'ResourceRecordSet')) {
      if (xmlText(set, 'Type') !== 'TXT' || !sameName(xmlText(set, 'Name') ?? '', name)) continue;
      const values = xmlElements(set, 'Value').map((v) => xmlUnescape(v.trim()));
      return { ttl: Number(xmlText(set, 'TTL') ?? DEFAULT_TTL), values };
    }
    return undefined;
  }

  private async change(
    zoneId: string,
    action: 'UPSERT' | 'DELETE',
    name: string,
    ttl: number,
    values: readonly string[],
  ): Promise<void> {
    const records = values
      .map((v) => `<ResourceRecord><Value>${xmlEscape(v)}</Value></ResourceRecord>`)
      .join('');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch>` +
      `<Comment>gateway-worker ACME DNS-01 challenge</Comment><Changes><Change>` +
      `<Action>${action}</Action><ResourceRecordSet><Name>${xmlEscape(name)}</Name><Type>TXT</Type>` +
      `<TTL>${ttl}</TTL><ResourceRecords>${records}</ResourceRecords></ResourceRecordSet>` +
      `</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    await this.call('ChangeResourceRecordSets', 'POST', `${API}/hostedzone/${zoneId}/rrset`, {}, body);
  }

  private async call(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    query: Readonly<Record<string, string>>,
    body = '',
  ): Promise<string> {
    const url = joinUrl(this.baseUrl, path, query);
    const credentials = await this.options.credentials();
    const headers = signRequest({
      method,
      url,
      headers: method === 'POST' ? { 'content-type': 'application/xml' } : {},
      body,
      service: 'route53',
      region: this.signingRegion,
      credentials,
      now: (this.options.clock ?? systemClock).now(),
    });
    const response = await httpCall(url, {
      method,
      headers,
      body: method === 'POST' ? body : undefined,
      timeoutMs: this.options.timeoutMs,
    });
    if (response.status >= 200 && response.status < 300) return response.body;
    throw new Error(route53Error(operation, response));
  }
}

function route53Error(operation: string, response: HttpResponse): string {
  const head = `Route 53 ${operation} failed (HTTP ${response.status}`;
  // ChangeResourceRecordSets reports a rejected batch in its own shape, with one message per change.
  if (/<InvalidChangeBatch[\s>]/.test(response.body)) {
    const messages = xmlElements(response.body, 'Message').map((m) => xmlUnescape(m.trim()));
    return `${head} InvalidChangeBatch): ${messages.join('; ') || excerpt(response.body)}`;
  }
  const code = xmlText(response.body, 'Code');
  const message = xmlText(response.body, 'Message') ?? excerpt(response.body);
  const full = `${head}${code ? ` ${code}` : ''}): ${message}`;
  switch (code) {
    case 'AccessDenied':
      return (
        `${full}. The IAM policy needs route53:ChangeResourceRecordSets and route53:ListResourceRecordSets ` +
        'on the hosted zone, and route53:ListHostedZonesByName unless hostedZoneID is set'
      );
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'IncompleteSignature':
    case 'ExpiredToken':
      return `${full}. Check the access key id and the secret access key`;
    case 'NoSuchHostedZone':
      return `${full}. Check route53.hostedZoneID`;
    case 'Throttling':
    case 'PriorRequestNotComplete':
      return `${full}. Route 53 is rate-limiting this account; the next attempt will retry`;
    default:
      return full;
  }
}

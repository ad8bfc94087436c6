/**
 * A local stand-in for the Route 53 API (2013-04-01) that holds what the real one checks: every
 * request must carry a valid SigV4 signature — recomputed here from what arrived on the wire,
 * with code independent of aws-sigv4.ts — and the three operations DNS-01 uses behave as
 * documented: list order, exact-match DELETE, InvalidChangeBatch and ErrorResponse bodies.
 */
import { createHash, createHmac } from 'node:crypto';
import { FakeHttpServer, type FakeResponse, type RecordedRequest } from './http-fakes.test-support.js';

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface FakeRecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

export interface FakeHostedZone {
  readonly id: string;
  readonly name: string;
  readonly private?: boolean;
  readonly records: FakeRecordSet[];
}

export interface FakeAwsKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Route 53 orders names by their labels read right to left. */
function sortKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').split('.').reverse().join('\u0001');
}

function xmlError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`,
  };
}

function invalidChangeBatch(message: string): FakeResponse {
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidChangeBatch xmlns="${XMLNS}"><Messages>` +
      `<Message>${message}</Message></Messages><RequestId>fake-request</RequestId></InvalidChangeBatch>`,
  };
}

function ok(body: string): FakeResponse {
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: `<?xml version="1.0"?>\n${body}` };
}

function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function headerValue(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Why the request's SigV4 signature is not valid for `key`, or undefined when it is. */
export function sigV4Problem(
  request: RecordedRequest,
  key: FakeAwsKey,
  region: string,
  service: string,
): string | undefined {
  const auth = headerValue(request, 'authorization') ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match) return `malformed Authorization header: ${auth}`;
  const [, accessKeyId, day, scopeRegion, scopeService, signedHeaders = '', signature] = match;
  const date = headerValue(request, 'x-amz-date') ?? '';
  if (accessKeyId !== key.accessKeyId) return `unknown access key ${String(accessKeyId)}`;
  if (!/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day) return `bad x-amz-date ${date}`;
  if (scopeRegion !== region || scopeService !== service)
    return `wrong scope ${String(scopeRegion)}/${String(scopeService)}`;
  const names = signedHeaders.split(';');
  const mustSign = ['host', 'x-amz-date', ...(key.sessionToken ? ['x-amz-security-token'] : [])];
  if (request.method === 'POST') mustSign.push('content-type');
  for (const name of mustSign) if (!names.includes(name)) return `header ${name} is not signed`;
  if (key.sessionToken && headerValue(request, 'x-amz-security-token') !== key.sessionToken)
    return 'wrong session token';
  const query = [...request.query.entries()]
    .map(([k, v]) => `${strictEncode(k)}=${strictEncode(v)}`)
    .sort()
    .join('&');
  const path = request.path
    .split('/')
    .map((s) => strictEncode(s))
    .join('/');
  const headers = names.map((n) => `${n}:${(headerValue(request, n) ?? '').trim()}\n`).join('');
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  const canonical = [request.method, path, query, headers, signedHeaders, sha(request.body)].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, `${day}/${region}/${service}/aws4_request`, sha(canonical)].join(
    '\n',
  );
  let k: Buffer = createHmac('sha256', `AWS4${key.secretAccessKey}`).update(day).digest();
  for (const part of [region, service, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  const expected = createHmac('sha256', k).update(toSign).digest('hex');
  return expected === signature ? undefined : 'signature does not match';
}

export class FakeRoute53 {
  /** Answer ChangeResourceRecordSets with AccessDenied, as for a role without the permission. */
  denyChanges = false;
  /** Every operation, as "ListHostedZonesByName dnsname=...". */
  readonly calls: string[] = [];

  private constructor(
    readonly server: FakeHttpServer,
    readonly zones: FakeHostedZone[],
  ) {}

  static async start(zones: FakeHostedZone[], key: FakeAwsKey): Promise<FakeRoute53> {
    const handler: { fake?: FakeRoute53 } = {};
    const server = await FakeHttpServer.start((request) => {
      if (!handler.fake) throw new Error('not started');
      return handler.fake.handle(request, key);
    });
    handler.fake = new FakeRoute53(server, zones);
    return handler.fake;
  }

  get url(): string {
    return this.server.url;
  }

  recordSet(zoneId: string, name: string): FakeRecordSet | undefined {
    return this.zones.find((z) => z.id === zoneId)?.records.find((r) => r.name === name && r.type === 'TXT');
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(request: RecordedRequest, key: FakeAwsKey): FakeResponse {
    const problem = sigV4Problem(request, key, 'us-east-1', 'route53');
    if (problem) {
      return xmlError(
        403,
        problem.startsWith('unknown access key') ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch',
        `The request signature we calculated does not match the signature you provided (${problem})`,
      );
    }
    if (request.method === 'GET' && request.path === '/2013-04-01/hostedzonesbyname') {
      this.calls.push(`ListHostedZonesByName dnsname=${request.query.get('dnsname') ?? ''}`);
      return this.listZones(request.query);
    }
    const rrset = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(request.path);
    const zone = this.zones.find((z) => z.id === rrset?.[1]);
    if (rrset && !zone) return xmlError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${rrset[1]}`);
    if (zone && request.method === 'GET') {
      this.calls.push(`ListResourceRecordSets ${zone.id} name=${request.query.get('name') ?? ''}`);
      return this.listRecordSets(zone, request.query);
    }
    if (zone && request.method === 'POST') return this.change(zone, request);
    return xmlError(404, 'UnknownOperation', `${request.method} ${request.path}`);
  }

  private listZones(query: URLSearchParams): FakeResponse {
    const start = sortKey(query.get('dnsname') ?? '');
    const max = Number(query.get('maxitems') ?? '100');
    const zones = [...this.zones]
      .sort((a, b) => (sortKey(a.name) < sortKey(b.name) ? -1 : sortKey(a.name) > sortKey(b.name) ? 1 : 0))
      .filter((z) => sortKey(z.name) >= start)
      .slice(0, max);
    const items = zones
      .map(
        (z) =>
          `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${z.name}</Name><CallerReference>ref-${z.id}</CallerReference>` +
          `<Config><Comment>fake</Comment><PrivateZone>${z.private ? 'true' : 'false'}</PrivateZone></Config>` +
          `<ResourceRecordSetCount>${z.records.length}</ResourceRecordSetCount></HostedZone>`,
      )
      .join('');
    return ok(
      `<ListHostedZonesByNameResponse xmlns="${XMLNS}"><HostedZones>${items}</HostedZones>` +
        `<DNSName>${query.get('dnsname') ?? ''}</DNSName><IsTruncated>false</IsTruncated><MaxItems>${max}</MaxItems>` +
        `</ListHostedZonesByNameResponse>`,
    );
  }

  private listRecordSets(zone: FakeHostedZone, query: URLSearchParams): FakeResponse {
    const start = `${sortKey(query.get('name') ?? '')}\u0000${query.get('type') ?? ''}`;
    const max = Number(query.get('maxitems') ?? '100');
    const sets = [...zone.records]
      .map((r) => ({ r, key: `${sortKey(r.name)}\u0000${r.type}` }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter((s) => s.key >= start)
      .slice(0, max)
      .map(
        ({ r }) =>
          `<ResourceRecordSet><Name>${r.name}</Name><Type>${r.type}</Type><TTL>${r.ttl}</TTL><ResourceRecords>` +
          r.values.map((v) => `<ResourceRecord><Value>${v}</Value></ResourceRecord>`).join('') +
          `</ResourceRecords></ResourceRecordSet>`,
      )
      .join('');
    return ok(
      `<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>${sets}</ResourceRecordSets>` +
        `<IsTruncated>false</IsTruncated><MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`,
    );
  }

  private change(zone: FakeHostedZone, request: RecordedRequest): FakeResponse {
    const body = request.body;
    const pick = (tag: string): string => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1] ?? '';
    if (!/^application\/xml|^text\/xml/.test(headerValue(request, 'content-type') ?? '')) {
      return xmlError(400, 'InvalidInput', 'Content-Type must be XML');
    }
    if (!body.includes(`<ChangeResourceRecordSetsRequest xmlns="${XMLNS}">`)) {
      return xmlError(400, 'InvalidInput', 'Invalid XML ; cvc-elt.1: Cannot find the declaration of element');
    }
    const action = pick('Action');
    const name = pick('Name');
    const set: FakeRecordSet = {
      name,
      type: pick('Type'),
      ttl: Number(pick('TTL')),
      values: [...body.matchAll(/<Value>([^<]*)<\/Value>/g)].map((m) => (m[1] ?? '').replace(/&quot;/g, '"')),
    };
    this.calls.push(`ChangeResourceRecordSets ${zone.id} ${action} ${name} ${set.values.join(',')}`);
    if (this.denyChanges) {
      return xmlError(
        403,
        'AccessDenied',
        `User: arn:aws:iam::123456789012:user/acme is not authorized to perform: route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/${zone.id}`,
      );
    }
    if (set.values.some((v) => !/^".*"$/.test(v)))
      return invalidChangeBatch(
        'Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks)',
      );
    if (action === 'UPSERT' && zone.records.some((r) => r.name === name && r.type === 'CNAME')) {
      return invalidChangeBatch(
        `RRSet of type ${set.type} with DNS name ${name} is not permitted because a conflicting RRSet of type  CNAME ` +
          `with the same DNS name already exists in zone ${zone.name}`,
      );
    }
    const index = zone.records.findIndex((r) => r.name === name && r.type === set.type);
    const existing = zone.records[index];
    if (action === 'UPSERT') {
      if (existing) zone.records.splice(index, 1, set);
      else zone.records.push(set);
    } else if (action === 'DELETE') {
      const label = `[name='${name}', type='${set.type}']`;
      if (!existing)
        return invalidChangeBatch(`Tried to delete resource record set ${label} but it was not found`);
      if (existing.ttl !== set.ttl || [...existing.values].sort().join() !== [...set.values].sort().join()) {
        return invalidChangeBatch(
          `Tried to delete resource record set ${label} but the values provided do not match the current values`,
        );
      }
      zone.records.splice(index, 1);
    } else {
      return xmlError(400, 'InvalidInput', `unexpected action ${action}`);
    }
    return ok(
      `<ChangeResourceRecordSetsResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/C0001</Id><Status>PENDING</Status>` +
        `<SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
    );
  }
}

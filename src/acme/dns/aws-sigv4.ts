/**
 * AWS Signature Version 4 for the Route 53 API, with node:crypto instead of the AWS SDK:
 * canonical request → string to sign → HMAC chain of date, region, service → Authorization.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials (STS, IRSA). */
  readonly sessionToken?: string;
}

export interface SigningInput {
  readonly method: string;
  readonly url: URL;
  /** Headers to send and sign, besides host, x-amz-date and x-amz-security-token. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/** RFC 3986 percent-encoding, which is what SigV4 means by URI-encode. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** 20150830T123600Z */
export function amzDate(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Every service but S3 encodes each path segment once more (the path is already encoded once). */
function canonicalPath(url: URL): string {
  return url.pathname
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .map(uriEncode)
    .join('/');
}

/** The headers to send: `input.headers` plus x-amz-date, the session token and Authorization. */
export function signRequest(input: SigningInput): Record<string, string> {
  const date = amzDate(input.now);
  const day = date.slice(0, 8);
  const toSign: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) toSign[name.toLowerCase()] = value;
  toSign.host = input.url.host;
  toSign['x-amz-date'] = date;
  if (input.credentials.sessionToken) toSign['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(toSign).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${(toSign[n] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method,
    canonicalPath(input.url),
    canonicalQuery(input.url),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region), input.service),
    'aws4_request',
  );
  const signature = hmac(key, stringToSign).toString('hex');
  // fetch sets Host from the URL itself; the value signed above is the one it sends.
  const { host: _host, ...headers } = toSign;
  return {
    ...headers,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

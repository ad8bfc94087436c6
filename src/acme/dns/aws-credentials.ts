/**
 * Where Route 53 credentials come from: the Certificate's own access key, or the operator's
 * ambient ones — AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or IRSA's web identity token exchanged
 * with STS AssumeRoleWithWebIdentity (re-read each time, as the kubelet rotates it).
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../../runtime/clock.js';
import type { AwsCredentials } from './aws-sigv4.js';
import { excerpt, httpCall, joinUrl } from './http-call.js';
import { xmlText } from './xml.js';

export type AwsCredentialProvider = () => Promise<AwsCredentials>;

export function staticCredentials(credentials: AwsCredentials): AwsCredentialProvider {
  return () => Promise.resolve(credentials);
}

export interface AmbientCredentialOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly region: string;
  /** STS base URL; https://sts.<region>.amazonaws.com by default. */
  readonly stsBaseUrl?: string;
  readonly clock: Clock;
  readonly readTokenFile?: (path: string) => Promise<string>;
}

/** Temporary credentials are refreshed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export function stsEndpoint(region: string): string {
  return region.startsWith('cn-')
    ? `https://sts.${region}.amazonaws.com.cn`
    : `https://sts.${region}.amazonaws.com`;
}

export function ambientCredentials(options: AmbientCredentialOptions): AwsCredentialProvider {
  const { env } = options;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    return staticCredentials({
      accessKeyId,
      secretAccessKey,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    });
  }
  const roleArn = env.AWS_ROLE_ARN;
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (!roleArn || !tokenFile) {
    return () =>
      Promise.reject(
        new Error(
          'no AWS credentials for Route 53: set route53.accessKeyID and secretAccessKeySecretRef, or give the ' +
            'operator an IAM role (IRSA: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE) or ' +
            'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in its environment',
        ),
      );
  }
  let cached: { credentials: AwsCredentials; expiresAt: number } | undefined;
  return async () => {
    if (cached && options.clock.now() < cached.expiresAt - REFRESH_MARGIN_MS) return cached.credentials;
    const token = (await (options.readTokenFile ?? ((path) => readFile(path, 'utf8')))(tokenFile)).trim();
    cached = await assumeRoleWithWebIdentity({
      baseUrl: options.stsBaseUrl ?? stsEndpoint(options.region),
      roleArn,
      sessionName: env.AWS_ROLE_SESSION_NAME || `gateway-worker-${options.clock.now()}`,
      token,
    });
    return cached.credentials;
  };
}

async function assumeRoleWithWebIdentity(request: {
  baseUrl: string;
  roleArn: string;
  sessionName: string;
  token: string;
}): Promise<{ credentials: AwsCredentials; expiresAt: number }> {
  // The web identity token is the proof: this call is not signed (STS API reference).
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: request.roleArn,
    RoleSessionName: request.sessionName,
    WebIdentityToken: request.token,
  }).toString();
  const response = await httpCall(joinUrl(request.baseUrl, '/'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  if (response.status !== 200) {
    const code = xmlText(response.body, 'Code');
    const message = xmlText(response.body, 'Message');
    throw new Error(
      `STS AssumeRoleWithWebIdentity for ${request.roleArn} failed (HTTP ${response.status}` +
        `${code ? ` ${code}` : ''}): ${message ?? excerpt(response.body)}`,
    );
  }
  const accessKeyId = xmlText(response.body, 'AccessKeyId');
  const secretAccessKey = xmlText(response.body, 'SecretAccessKey');
  const sessionToken = xmlText(response.body, 'SessionToken');
  const expiration = Date.parse(xmlText(response.body, 'Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration)) {
    throw new Error(`STS AssumeRoleWithWebIdentity returned no credentials: ${excerpt(response.body)}`);
  }
  return { credentials: { accessKeyId, secretAccessKey, sessionToken }, expiresAt: expiration };
}

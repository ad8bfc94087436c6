import { expect } from 'chai';
import { FakeClock } from '../../runtime/clock.js';
import { ambientCredentials } from './aws-credentials.js';
import {
  FakeHttpServer,
  rejection,
  type FakeResponse,
  type RecordedRequest,
} from './http-fakes.test-support.js';
import { FakeRoute53 } from './route53-fake.test-support.js';
import { Route53Provider } from './route53.js';

const ROLE = 'arn:aws:iam::123456789012:role/gateway-worker';
const TEMPORARY = {
  accessKeyId: 'ASIATEMPORARY',
  secretAccessKey: 'temporary/secret',
  sessionToken: 'session+token==',
};

/** STS as AssumeRoleWithWebIdentity answers: unsigned form POST in, XML credentials out. */
function sts(expiration: string) {
  return (request: RecordedRequest): FakeResponse => {
    const form = new URLSearchParams(request.body);
    if (request.method !== 'POST' || request.path !== '/') return { status: 404 };
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded; charset=utf-8') {
      return { status: 400, body: 'bad content type' };
    }
    if (request.headers.authorization !== undefined) return { status: 400, body: 'this call is not signed' };
    if (form.get('WebIdentityToken') !== 'projected-token') {
      return {
        status: 400,
        body:
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
          '<Code>InvalidIdentityToken</Code><Message>Couldn&apos;t retrieve verification key from your identity provider</Message>' +
          '</Error><RequestId>r</RequestId></ErrorResponse>',
      };
    }
    expect(Object.fromEntries(form)).to.deep.include({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'gateway-worker-test',
    });
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
        '<AssumeRoleWithWebIdentityResult><Credentials>' +
        `<SessionToken>${TEMPORARY.sessionToken}</SessionToken><SecretAccessKey>${TEMPORARY.secretAccessKey}</SecretAccessKey>` +
        `<Expiration>${expiration}</Expiration><AccessKeyId>${TEMPORARY.accessKeyId}</AccessKeyId>` +
        '</Credentials><Audience>sts.amazonaws.com</Audience></AssumeRoleWithWebIdentityResult>' +
        '</AssumeRoleWithWebIdentityResponse>',
    };
  };
}

describe('ambient AWS credentials', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const irsaEnv = {
    AWS_ROLE_ARN: ROLE,
    AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    AWS_ROLE_SESSION_NAME: 'gateway-worker-test',
  };

  it('exchanges the IRSA web identity token with STS and signs Route 53 calls with the result', async () => {
    const stsServer = await FakeHttpServer.start(sts('2026-01-01T13:00:00Z'));
    const route53 = await FakeRoute53.start([{ id: 'Z1', name: 'example.com.', records: [] }], TEMPORARY);
    const tokenReads: string[] = [];
    try {
      const credentials = ambientCredentials({
        env: irsaEnv,
        region: 'eu-west-1',
        stsBaseUrl: stsServer.url,
        clock,
        readTokenFile: (path) => {
          tokenReads.push(path);
          return Promise.resolve('projected-token\n');
        },
      });
      const provider = new Route53Provider({ region: 'eu-west-1', credentials, baseUrl: route53.url, clock });
      await provider.present('_acme-challenge.example.com', 'v');
      await provider.cleanup('_acme-challenge.example.com', 'v');
      expect(stsServer.requests).to.have.length(1);
      expect(
        route53.server.requests.every((r) => r.headers['x-amz-security-token'] === TEMPORARY.sessionToken),
      ).to.equal(true);
      // Renewed five minutes before they expire, with the token read again (the kubelet rotates it).
      clock.advance(56 * 60_000);
      await credentials();
      expect(stsServer.requests).to.have.length(2);
      expect(tokenReads).to.deep.equal([
        irsaEnv.AWS_WEB_IDENTITY_TOKEN_FILE,
        irsaEnv.AWS_WEB_IDENTITY_TOKEN_FILE,
      ]);
    } finally {
      await stsServer.close();
      await route53.close();
    }
  });

  it("passes on STS's reason when it refuses the token", async () => {
    const stsServer = await FakeHttpServer.start(sts('2026-01-01T13:00:00Z'));
    try {
      const credentials = ambientCredentials({
        env: irsaEnv,
        region: 'eu-west-1',
        stsBaseUrl: stsServer.url,
        clock,
        readTokenFile: () => Promise.resolve('stale-token'),
      });
      const error = await rejection(credentials());
      expect(error.message).to.equal(
        `STS AssumeRoleWithWebIdentity for ${ROLE} failed (HTTP 400 InvalidIdentityToken): ` +
          "Couldn't retrieve verification key from your identity provider",
      );
    } finally {
      await stsServer.close();
    }
  });

  it('uses AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment', async () => {
    const credentials = ambientCredentials({
      env: {
        AWS_ACCESS_KEY_ID: 'AKIAENV',
        AWS_SECRET_ACCESS_KEY: 'env-secret',
        AWS_SESSION_TOKEN: 'env-token',
      },
      region: 'us-east-1',
      clock,
    });
    expect(await credentials()).to.deep.equal({
      accessKeyId: 'AKIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
  });

  it('says where credentials can come from when there are none', async () => {
    const error = await rejection(ambientCredentials({ env: {}, region: 'us-east-1', clock })());
    expect(error.message).to.match(
      /^no AWS credentials for Route 53: set route53\.accessKeyID and secretAccessKeySecretRef/,
    );
  });
});

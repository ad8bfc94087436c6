import { expect } from 'chai';
import { amzDate, signRequest, uriEncode } from './aws-sigv4.js';

// The example credentials and instant of the AWS SigV4 test suite.
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  now: Date.UTC(2015, 7, 30, 12, 36, 0),
};

describe('AWS Signature Version 4', () => {
  it("signs the test suite's get-vanilla request as AWS does", () => {
    const headers = signRequest({
      ...SUITE,
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
      body: '',
    });
    expect(headers).to.deep.equal({
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });

  it("sorts the query as the suite's get-vanilla-query-order-key-case expects", () => {
    const headers = signRequest({
      ...SUITE,
      method: 'GET',
      url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
      headers: {},
      body: '',
    });
    expect(headers.authorization).to.match(
      /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  it("signs the suite's post-vanilla request as AWS does", () => {
    const headers = signRequest({
      ...SUITE,
      method: 'POST',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
      body: '',
    });
    expect(headers.authorization).to.match(
      /Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b$/,
    );
  });

  it("signs the S3 documentation's GET Object example, extra headers included, as S3 does", () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: {
        Range: 'bytes=0-9',
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
      body: '',
      service: 's3',
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      now: Date.UTC(2013, 4, 24),
    });
    expect(headers.authorization).to.equal(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('sends and signs the session token of temporary credentials', () => {
    const headers = signRequest({
      ...SUITE,
      credentials: { ...SUITE.credentials, sessionToken: 'token/with+chars' },
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
      body: '',
    });
    expect(headers['x-amz-security-token']).to.equal('token/with+chars');
    expect(headers.authorization).to.include('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    expect(headers.authorization).not.to.include(
      '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('formats dates and encodes as SigV4 requires', () => {
    expect(amzDate(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).to.equal('20260102T030405Z');
    expect(uriEncode("a b*c'd(e)!~_-.")).to.equal('a%20b%2Ac%27d%28e%29%21~_-.');
  });
});

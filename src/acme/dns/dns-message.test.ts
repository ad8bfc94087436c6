import { expect } from 'chai';
import {
  absoluteName,
  decodeMessage,
  encodeMessage,
  encodeName,
  isSubdomain,
  Opcode,
  parentName,
  RRClass,
  RRType,
  sameName,
  txtRdata,
  txtValues,
} from './dns-message.js';

describe('DNS wire format', () => {
  it('encodes a query as RFC 1035 lays it out', () => {
    const wire = encodeMessage({
      id: 0x1234,
      opcode: Opcode.QUERY,
      recursionDesired: true,
      questions: [{ name: 'example.com', type: RRType.TXT, class: RRClass.IN }],
    });
    expect(wire.toString('hex')).to.equal(
      '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '076578616d706c6503636f6d00' + '0010' + '0001',
    );
  });

  it('sets the UPDATE opcode and counts the update section as authority records', () => {
    const wire = encodeMessage({
      id: 1,
      opcode: Opcode.UPDATE,
      questions: [{ name: 'example.com.', type: RRType.SOA, class: RRClass.IN }],
      authorities: [
        { name: 'a.example.com', type: RRType.TXT, class: RRClass.NONE, ttl: 0, rdata: txtRdata('v') },
      ],
    });
    expect(wire.readUInt16BE(2)).to.equal(0x2800);
    expect([
      wire.readUInt16BE(4),
      wire.readUInt16BE(6),
      wire.readUInt16BE(8),
      wire.readUInt16BE(10),
    ]).to.deep.equal([1, 0, 1, 0]);
    const decoded = decodeMessage(wire);
    expect(decoded.opcode).to.equal(Opcode.UPDATE);
    expect(decoded.authorities[0]).to.include({
      name: 'a.example.com.',
      type: RRType.TXT,
      class: RRClass.NONE,
    });
  });

  it('follows compression pointers when decoding names', () => {
    // A response to "example.com TXT" whose answer names the owner with a pointer to offset 12.
    const question = Buffer.from('076578616d706c6503636f6d0000100001', 'hex');
    const answer = Buffer.concat([
      Buffer.from('c00c' + '0010' + '0001' + '0000003c' + '0006', 'hex'),
      Buffer.from([5]),
      Buffer.from('hello'),
    ]);
    const header = Buffer.from('abcd' + '8580' + '0001' + '0001' + '0000' + '0000', 'hex');
    const decoded = decodeMessage(Buffer.concat([header, question, answer]));
    expect(decoded).to.include({ id: 0xabcd, response: true, authoritative: true, rcode: 0 });
    expect(decoded.answers[0]).to.deep.include({
      name: 'example.com.',
      ttl: 60,
      data: { kind: 'txt', strings: ['hello'] },
    });
  });

  it('refuses a compression pointer that points forward (which could loop)', () => {
    const header = Buffer.from('0001' + '8000' + '0001' + '0000' + '0000' + '0000', 'hex');
    expect(() => decodeMessage(Buffer.concat([header, Buffer.from('c00c00100001', 'hex')]))).to.throw(
      'bad DNS name compression pointer',
    );
  });

  it('refuses a truncated message', () => {
    expect(() => decodeMessage(Buffer.from('0001800000010000', 'hex'))).to.throw('truncated DNS message');
  });

  it('refuses names it cannot encode', () => {
    expect(() => encodeName(`${'a'.repeat(64)}.example.com`)).to.throw(/label .* is over 63 bytes/);
    expect(() => encodeName(Array.from({ length: 9 }, () => 'a'.repeat(30)).join('.'))).to.throw(
      /over 255 bytes/,
    );
    expect(() => encodeName('a..example.com')).to.throw(/empty label/);
  });

  it('splits long TXT values into 255-byte strings, and joins them back', () => {
    const value = 'x'.repeat(300);
    const rdata = txtRdata(value);
    expect([rdata[0], rdata[256]]).to.deep.equal([255, 45]);
    const wire = encodeMessage({
      id: 7,
      opcode: Opcode.QUERY,
      questions: [],
      answers: [{ name: 'long.example.com', type: RRType.TXT, class: RRClass.IN, ttl: 1, rdata }],
    });
    const decoded = decodeMessage(wire);
    expect(txtValues(decoded.answers, 'LONG.example.com.')).to.deep.equal([value]);
  });

  it('compares and walks names the way DNS does', () => {
    expect(absoluteName('example.com')).to.equal('example.com.');
    expect(absoluteName('example.com..')).to.equal('example.com.');
    expect(absoluteName('')).to.equal('.');
    expect(sameName('Example.COM', 'example.com.')).to.equal(true);
    expect(isSubdomain('_acme-challenge.example.com', 'example.com.')).to.equal(true);
    expect(isSubdomain('badexample.com', 'example.com')).to.equal(false);
    expect(parentName('a.example.com')).to.equal('example.com.');
    expect(parentName('com.')).to.equal('.');
    expect(parentName('.')).to.equal(undefined);
  });
});

import { expect } from 'chai';
import { ChainVerifier, GENESIS, chainEntry, type AuditEntry, type AuditEvent } from './audit-chain.js';

const event = (i: number): AuditEvent => ({
  timeMs: Date.UTC(2026, 0, 1) + i * 1000,
  action: 'update',
  actor: 'kubectl-client-side-apply',
  kind: 'WafRuleSet',
  namespace: 'default',
  name: `rules-${i}`,
  generation: i,
  summary: `changed spec.rules[${i}]`,
  details: { b: 1, a: [i] },
});

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) out.push(chainEntry(out.at(-1), event(i)));
  return out;
}

function verify(entries: readonly AuditEntry[]): ChainVerifier {
  const verifier = new ChainVerifier();
  for (const e of entries) verifier.check(e);
  return verifier;
}

describe('the audit hash chain', () => {
  it('links each entry to the one before it, starting from the genesis hash', () => {
    const entries = chain(3);
    expect(entries[0]?.previousHash).to.equal(GENESIS);
    expect(entries[1]?.previousHash).to.equal(entries[0]?.hash);
    expect(verify(entries).problems).to.deep.equal([]);
  });

  it('finds an edited entry and names it', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, actor: 'someone-else' };
    const problems = verify(entries).problems;
    expect(problems.map((p) => [p.sequence, p.problem])).to.deep.equal([[3, 'edited']]);
  });

  it('finds a deleted entry and names it', () => {
    const entries = chain(5);
    entries.splice(1, 1);
    const problems = verify(entries).problems;
    expect(problems.map((p) => [p.sequence, p.problem])).to.deep.equal([[2, 'missing']]);
    expect(problems[0]?.message).to.include('entry 2 is missing');
  });

  it('finds reordered entries', () => {
    const entries = chain(5);
    const [a, b] = [entries[1]!, entries[2]!];
    entries[1] = b;
    entries[2] = a;
    const kinds = verify(entries).problems.map((p) => p.problem);
    expect(kinds).to.include('out-of-order');
  });

  it('finds a deleted entry whose successors were renumbered, by the broken link', () => {
    const entries = chain(4);
    const renumbered = [entries[0]!, { ...entries[2]!, sequence: 2 }, { ...entries[3]!, sequence: 3 }];
    const kinds = verify(renumbered).problems.map((p) => [p.sequence, p.problem]);
    expect(kinds).to.deep.include([2, 'broken-link']);
  });

  it('hashes details independently of key order', () => {
    const a = chainEntry(undefined, { ...event(1), details: { x: 1, y: { b: 2, a: 1 } } });
    const b = chainEntry(undefined, { ...event(1), details: { y: { a: 1, b: 2 }, x: 1 } });
    expect(a.hash).to.equal(b.hash);
  });

  it('continues from an anchor (the entry before the oldest kept)', () => {
    const entries = chain(6);
    const verifier = new ChainVerifier({ sequence: entries[2]!.sequence, hash: entries[2]!.hash });
    for (const e of entries.slice(3)) verifier.check(e);
    expect(verifier.problems).to.deep.equal([]);
    expect(verifier.head?.sequence).to.equal(6);
  });
});

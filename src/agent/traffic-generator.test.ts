import { expect } from 'chai';
import { parseAccessLogJson } from '../domain/telemetry/access-log-json.js';
import { LogType } from '../domain/telemetry/log-entry.js';
import { TrafficGenerator } from './traffic-generator.js';

function lines(
  seed: number,
  n: number,
  options: Partial<ConstructorParameters<typeof TrafficGenerator>[0]> = {},
): string[] {
  const generator = new TrafficGenerator({ seed, ...options });
  return Array.from({ length: n }, () => generator.nextLine());
}

describe('the traffic generator', () => {
  it('is deterministic for a seed, and differs between seeds', () => {
    expect(lines(7, 500)).to.deep.equal(lines(7, 500));
    expect(lines(7, 500)).to.not.deep.equal(lines(8, 500));
  });

  it('writes lines the JSON access-log parser reads, access and security', () => {
    const types = new Set<LogType>();
    for (const line of lines(1, 5000, { wafRate: 0.05 })) {
      const result = parseAccessLogJson(line);
      if (!result.ok) throw new Error(`${result.reason}: ${line}`);
      types.add(result.entry.logType);
    }
    expect([...types].sort()).to.deep.equal([LogType.LOG_TYPE_ACCESS, LogType.LOG_TYPE_SECURITY]);
  });

  it('draws paths and clients from Zipf distributions: a few hot, a long tail', () => {
    const generator = new TrafficGenerator({ seed: 3, paths: 1000, clients: 10_000, wafRate: 0 });
    const paths = new Map<string, number>();
    const clients = new Map<string, number>();
    const n = 50_000;
    for (let i = 0; i < n; i += 1) {
      const { fields } = generator.next();
      paths.set(String(fields.uri), (paths.get(String(fields.uri)) ?? 0) + 1);
      clients.set(String(fields.client_ip), (clients.get(String(fields.client_ip)) ?? 0) + 1);
    }
    const top = (counts: Map<string, number>): number => Math.max(...counts.values()) / n;
    // Zipf(1.1) over 1,000: the top path takes about 1/H ≈ 15 % of requests; uniform would be 0.1 %.
    expect(top(paths)).to.be.within(0.1, 0.25);
    expect(paths.size).to.be.greaterThan(300);
    expect(top(clients)).to.be.within(0.05, 0.2);
    expect(clients.size).to.be.greaterThan(2000);
  });

  it('has log-normal latencies around the median, a status mix, and WAF hits at the rate', () => {
    const generator = new TrafficGenerator({ seed: 5, latencyMedianMs: 20, wafRate: 0.02 });
    const latencies: number[] = [];
    const statuses = new Set<number>();
    let security = 0;
    let requests = 0;
    while (requests < 20_000) {
      const { type, fields } = generator.next();
      if (type === 'security') security += 1;
      else {
        requests += 1;
        latencies.push(Number(fields.response_time_ms));
        statuses.add(Number(fields.status_code));
      }
    }
    latencies.sort((a, b) => a - b);
    expect(latencies[latencies.length / 2]).to.be.within(18, 22);
    // A long right tail: p99 well above the median (sigma 0.8: about 6.4x).
    expect(latencies[Math.floor(latencies.length * 0.99)]).to.be.within(100, 170);
    expect(statuses).to.include.members([200, 404, 500, 403]);
    expect(security / requests).to.be.within(0.015, 0.025);
  });
});

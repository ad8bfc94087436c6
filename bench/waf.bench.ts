/**
 * WAF compiler and evaluator, no cluster: validate and compile 10,000 rules (80 WafRuleSets of
 * 125, the way the controller compiles them one by one), evaluate 100,000 recorded-style
 * requests against the 1,000 rules a gateway selected by eight of them applies, and the sizes
 * of what is pushed and written. Rules and traffic come from a seeded generator shaped like a
 * production rule base (the gateway's own rules, multiplied with variations: regexes on URI,
 * query, headers and user agents, path prefixes, exact matches, method and size limits) and
 * like access logs (mostly ordinary browsing and API calls, a few per cent attacks and scanners).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as rregex from 'rregex';
import { buildWafFiles } from '../src/agent/waf-rules.js';
import { configVersion, payloadVersion } from '../src/agent/versioning.js';
import {
  canonicalBytes,
  compileRuleSet,
  compileRuleSets,
  createEvaluator,
  importGatewayRuleFile,
  isCompiled,
  isMerged,
  mergeRuleSets,
  wafResourceName,
  type CompiledRuleSet,
  type WafRequest,
  type WafRuleSetSpecInput,
} from '../src/domain/waf/index.js';
import { regexProblems } from '../src/domain/waf/regex-check.js';
import { forgetRegexSets } from '../src/domain/waf/regex-sets.js';
import { patternsOf } from '../src/domain/waf/validate.js';
import { GATEWAY_RULES_FILE } from '../test/fixtures/waf/paths.js';
import { fmt, median, percentile } from './stats.js';

const RULE_SETS = 80;
const RULES_PER_SET = 125;
const SELECTED_SETS = 8;
const REQUESTS = 100_000;
const COMPILE_RUNS = 5;
const EVALUATE_RUNS = 7;

type RuleInput = NonNullable<WafRuleSetSpecInput['rules']>[number];
type ConditionInput = RuleInput['conditions'][number];

/** A small deterministic generator (mulberry32), so every run sees the same rules and traffic. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick };
}

const WORDS = [
  'select',
  'union',
  'drop',
  'insert',
  'delete',
  'script',
  'alert',
  'onload',
  'onerror',
  'exec',
  'eval',
  'passwd',
  'shadow',
  'wp-admin',
  'phpmyadmin',
  'cgi-bin',
  'proc',
  'environ',
  'base64',
  'cmd',
  'shell',
  'xp_cmdshell',
  'sleep',
  'benchmark',
  'waitfor',
  'iframe',
  'object',
  'embed',
  'svg',
  'document',
  'cookie',
  'window',
  'location',
  'fetch',
  'import',
  'require',
  'system',
];
const SCANNERS = ['sqlmap', 'nikto', 'nmap', 'masscan', 'zgrab', 'dirbuster', 'gobuster', 'wpscan', 'nuclei'];
const PATHS = ['admin', 'internal', 'debug', 'actuator', 'metrics', 'graphql', 'export', 'backup', 'config'];
const HEADERS = ['X-Forwarded-For', 'X-Api-Key', 'Referer', 'Origin', 'X-Requested-With', 'Accept-Language'];
const PARAMS = ['q', 'id', 'page', 'sort', 'redirect', 'file', 'callback', 'url', 'next'];

/** Rule `n` of the rule base; shapes rotate so every rule set has the same mix. */
function makeRule(g: ReturnType<typeof generator>, n: number): RuleInput {
  const [w1, w2, w3] = [g.pick(WORDS), g.pick(WORDS), g.pick(WORDS)];
  const tag = `${n}`;
  const when = (
    field: string,
    operator: ConditionInput['operator'],
    value: string,
    caseSensitive?: boolean,
  ) => ({
    field,
    operator,
    value,
    ...(caseSensitive === undefined ? {} : { caseSensitive }),
  });
  let conditions: ConditionInput[];
  switch (n % 12) {
    case 0:
      conditions = [when('uri', 'regex', `(?i)(${w1}\\s+${w2}|${w3}\\s*\\()${tag}`)];
      break;
    case 1:
      conditions = [when(`query.${g.pick(PARAMS)}`, 'regex', `(?i)(<${w1}|${w2}:|on${w3}=)${tag}`)];
      break;
    case 2:
      conditions = [when('user_agent', 'regex', `(?i)(${g.pick(SCANNERS)}|${g.pick(SCANNERS)})/${tag}`)];
      break;
    case 3:
      conditions = [when(`header.${g.pick(HEADERS)}`, 'regex', `^[^,]*(,[^,]*){${3 + (n % 5)},}${tag}$`)];
      break;
    case 4:
      conditions = [when('uri', 'contains', `/${w1}-${tag}/`, n % 2 === 0)];
      break;
    case 5:
      conditions = [when('uri', 'starts_with', `/${g.pick(PATHS)}/${tag}`)];
      break;
    case 6:
      conditions = [when('uri', 'ends_with', `.${w1}${tag}`)];
      break;
    case 7:
      conditions = [when(`header.${g.pick(HEADERS)}`, 'equals', `${w1}-${w2}-${tag}`, true)];
      break;
    case 8:
      conditions = [
        when('method', 'equals', g.pick(['PUT', 'DELETE', 'PATCH'])),
        when('uri', 'starts_with', `/api/v${n % 4}/${w1}${tag}`),
      ];
      break;
    case 9:
      conditions = [
        when('content_length', 'greater_than', String(1_000_000 + n)),
        when('uri', 'starts_with', `/upload/${tag}`),
      ];
      break;
    case 10:
      conditions = [when(`query.${g.pick(PARAMS)}`, 'contains', `${w1}${tag}`)];
      break;
    default:
      conditions = [when('uri', 'regex', `\\A/api/v[0-9]+/${w1}/[0-9]+/${w2}${tag}\\z`)];
  }
  const type = n % 10 === 3 ? 'log' : n % 25 === 5 ? 'rate_limit' : 'block';
  return {
    id: `rule-${tag}`,
    name: `${w1} ${w2} (${tag})`,
    severity: g.pick(['low', 'medium', 'high', 'critical'] as const),
    ...(n % 40 === 17 ? { enabled: false } : {}),
    conditions,
    action: { type, message: `${type} by rule ${tag}`, score: g.int(100) },
  };
}

/** The gateway's own ten rules (imported from its file), then generated ones up to 10,000. */
export function ruleBase(): { namespace: string; name: string; spec: WafRuleSetSpecInput }[] {
  const g = generator(7);
  const reference =
    importGatewayRuleFile(readFileSync(GATEWAY_RULES_FILE, 'utf8'), { name: 'gateway' }).manifest.spec
      .rules ?? [];
  return Array.from({ length: RULE_SETS }, (_, s) => {
    const own = s === 0 ? reference : [];
    return {
      namespace: `team-${s % 10}`,
      name: `rules-${s}`,
      spec: {
        // The gateway's rules first, as a platform team's baseline would be.
        priority: s === 0 ? 10 : 100 + (s % 5),
        rules: [
          ...own,
          ...Array.from({ length: RULES_PER_SET - own.length }, (_, r) => makeRule(g, s * RULES_PER_SET + r)),
        ],
        ipDenyList: [`198.51.${s}.0/24`, `2001:db8:${s.toString(16)}::/48`],
      },
    };
  });
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'okhttp/4.12.0',
  'curl/8.5.0',
];

/** Access-log-shaped traffic: ~95% ordinary, the rest attacks and scanners. */
export function traffic(): WafRequest[] {
  const g = generator(11);
  const ip = () =>
    g.next() < 0.9
      ? `${1 + g.int(223)}.${g.int(256)}.${g.int(256)}.${1 + g.int(254)}`
      : `2001:db8:${g.int(0xffff).toString(16)}::${g.int(0xffff).toString(16)}`;
  return Array.from({ length: REQUESTS }, (): WafRequest => {
    const headers: Record<string, string> = {
      'User-Agent': g.pick(BROWSERS),
      Accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8',
      'Accept-Language': g.pick(['en-US,en;q=0.9', 'pt-BR,pt;q=0.9,en;q=0.8', 'de-DE,de;q=0.9']),
      Cookie: `session=${g.int(1e9).toString(36)}; theme=dark`,
    };
    if (g.next() < 0.3) headers['X-Forwarded-For'] = Array.from({ length: 1 + g.int(3) }, ip).join(', ');
    const roll = g.next();
    let method = 'GET';
    let uri: string;
    let body: string | undefined;
    if (roll < 0.35)
      uri = `/products/${g.int(50_000)}?color=${g.pick(['red', 'blue', 'black'])}&size=${g.pick(['s', 'm', 'l'])}`;
    else if (roll < 0.55) uri = `/api/v${1 + g.int(3)}/orders/${g.int(1e6)}?page=${g.int(20)}&sort=desc`;
    else if (roll < 0.7) uri = `/static/js/app.${g.int(1e8).toString(16)}.js`;
    else if (roll < 0.8)
      uri = `/search?q=${encodeURIComponent(`${g.pick(WORDS)} ${g.pick(['shoes', 'shirt', 'lamp'])}`)}`;
    else if (roll < 0.9) {
      method = 'POST';
      uri = g.pick(['/login', '/cart/items', '/api/v2/orders', '/checkout']);
      body = JSON.stringify({ item: g.int(1e5), quantity: 1 + g.int(3), note: 'gift wrap' });
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(body.length);
    } else if (roll < 0.95) uri = g.pick(['/', '/cart', '/account', '/help/shipping', '/favicon.ico']);
    else if (roll < 0.97) uri = `/search?q=1 ${g.pick(WORDS)} ${g.pick(WORDS)} from users`;
    else if (roll < 0.98)
      uri = `/page?file=../../etc/${g.pick(['passwd', 'shadow'])}&callback=<script>alert(1)</script>`;
    else if (roll < 0.99) {
      uri = `/${g.pick(PATHS)}/${g.int(10_000)}/login.php`;
      headers['User-Agent'] = `${g.pick(SCANNERS)}/${g.int(12_000)}`;
    } else {
      method = g.pick(['PUT', 'DELETE', 'PATCH']);
      uri = `/api/v${g.int(4)}/${g.pick(WORDS)}${g.int(10_000)}/x`;
    }
    return { method, uri, headers, ip: ip(), ...(body === undefined ? {} : { body }) };
  });
}

function checked(results: ReturnType<typeof compileRuleSets>): CompiledRuleSet[] {
  return results.map((result) => {
    if (!isCompiled(result)) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
    return result;
  });
}

/** One by one, as the controller compiles a rule set when it changes. */
const compileEach = (sources: ReturnType<typeof ruleBase>) => checked(sources.map(compileRuleSet));
/** All at once, as after a restart: regexes checked together first. */
const compileBatch = (sources: ReturnType<typeof ruleBase>) => checked(compileRuleSets(sources));

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** rregex's WebAssembly memory, which its compiled regexes grow without giving back. */
function wasmMiB(): number {
  const wasm = (rregex as unknown as { __wasm: { memory: { buffer: ArrayBuffer } } }).__wasm;
  return wasm.memory.buffer.byteLength / 2 ** 20;
}

type Phase = 'regex' | 'batch' | 'each';

interface PhaseResult {
  readonly ms: number;
  /** Only for `each`: the same rule sets compiled again in the same process. */
  readonly warmMs?: number;
  readonly wasmMiB: number;
}

/** One cold measurement in this (fresh) process: the child side of {@link coldRun}. */
function measure(phase: Phase): PhaseResult {
  const sources = ruleBase();
  if (phase === 'regex') {
    const patterns = sources.flatMap((s) => patternsOf(s.spec.rules ?? []));
    return { ms: timeMs(() => regexProblems(patterns)), wasmMiB: wasmMiB() };
  }
  if (phase === 'batch') return { ms: timeMs(() => compileBatch(sources)), wasmMiB: wasmMiB() };
  const ms = timeMs(() => compileEach(sources));
  return { ms, warmMs: timeMs(() => compileEach(sources)), wasmMiB: wasmMiB() };
}

/**
 * Cold means every regex new to the process, as after a restart; each run is a new process, so
 * that no run inherits the engine heap an earlier one grew.
 */
function coldRun(phase: Phase): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--waf-bench-phase', phase], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => resolve(message as PhaseResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`waf benchmark child (${phase}) exited with ${String(code)}`));
    });
  });
}

export async function wafBenchmark(): Promise<string[]> {
  const sources = ruleBase();
  const rules = RULE_SETS * RULES_PER_SET;
  const patterns = sources.flatMap((s) => patternsOf(s.spec.rules ?? []));

  // Evaluation first, in this process, before anything else grows the engine heap.
  const compiled = compileBatch(sources.slice(0, SELECTED_SETS));
  const bundle = mergeRuleSets(compiled);
  if (!isMerged(bundle)) throw new Error(JSON.stringify(bundle.conflicts));
  let evaluator = createEvaluator(bundle);
  const buildMs = timeMs(() => {
    evaluator.dispose();
    forgetRegexSets();
    evaluator = createEvaluator(bundle);
  });
  const requests = traffic();
  const outcomes = new Map<string, number>();
  for (const request of requests) {
    const { action } = evaluator.evaluate(request);
    outcomes.set(action, (outcomes.get(action) ?? 0) + 1);
  }
  const throughput: number[] = [];
  for (let run = 0; run < EVALUATE_RUNS; run++) {
    const ms = timeMs(() => {
      for (const request of requests) evaluator.evaluate(request);
    });
    throughput.push((REQUESTS / ms) * 1000);
  }
  const latencies: number[] = [];
  for (const request of requests) {
    const start = performance.now();
    evaluator.evaluate(request);
    latencies.push((performance.now() - start) * 1000);
  }
  evaluator.dispose();
  const noMemo = createEvaluator(bundle, { memo: 0 });
  const noMemoMs = timeMs(() => {
    for (const request of requests) noMemo.evaluate(request);
  });
  noMemo.dispose();

  const results: Record<Phase, PhaseResult[]> = { regex: [], batch: [], each: [] };
  for (let run = 0; run < COMPILE_RUNS; run++) {
    for (const phase of ['regex', 'batch', 'each'] as const) results[phase].push(await coldRun(phase));
  }
  const ms = (phase: Phase) => results[phase].map((r) => r.ms);
  const warm = results.each.map((r) => r.warmMs ?? Number.NaN);
  const heap = median(results.each.map((r) => r.wasmMiB));

  const setSizes = compileBatch(sources).map((c) => c.payload.length);
  const resources = compiled.map((c) => {
    const [namespace = '', name = ''] = c.name.split('/');
    return {
      name: wafResourceName(namespace, name, c.priority),
      version: payloadVersion(c.payload),
      payload: c.payload,
    };
  });
  const files = buildWafFiles(configVersion(resources), resources);
  if ('errors' in files) throw new Error(JSON.stringify(files.errors));
  const yamlBytes = files.files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
  const share = (action: string) => `${fmt(((outcomes.get(action) ?? 0) / REQUESTS) * 100, 1)}%`;
  const row = (label: string, samples: readonly number[]) =>
    `| ${label} | ${fmt(median(samples))} ms | ${fmt(percentile(samples, 99))} ms |`;

  return [
    `| ${fmt(rules)} rules in ${RULE_SETS} WafRuleSets (${fmt(patterns.length)} regexes), each run a fresh process | median | p99 (of ${COMPILE_RUNS}) |`,
    '| --- | --- | --- |',
    row('validate + compile all at once (`compileRuleSets`), cold', ms('batch')),
    row('of which the regex check alone (rregex, sets of 512 patterns)', ms('regex')),
    row(`validate + compile one rule set at a time (\`compileRuleSet\` ×${RULE_SETS}), cold`, ms('each')),
    row('the same again in that process: regexes known valid (a resync, an edit elsewhere)', warm),
    `| rregex heap after compiling them one at a time | ${fmt(heap)} MiB | |`,
    '',
    `| evaluate ${fmt(REQUESTS)} requests against ${fmt(bundle.rules.length)} rules (${SELECTED_SETS} rule sets merged), one core | median | p99 (of ${EVALUATE_RUNS}) |`,
    '| --- | --- | --- |',
    `| throughput | ${fmt(median(throughput))} req/s | ${fmt(Math.min(...throughput))} req/s (slowest run) |`,
    `| latency per request | ${fmt(median(latencies), 1)} µs | ${fmt(percentile(latencies, 99), 1)} µs |`,
    `| throughput without the per-field memo (one run) | ${fmt((REQUESTS / noMemoMs) * 1000)} req/s | |`,
    `| evaluator build (regex sets, literal indexes) | ${fmt(buildMs)} ms | |`,
    `| outcomes | allow ${share('allow')}, block ${share('block')}, log ${share('log')}, rate_limit ${share('rate_limit')} | |`,
    '',
    '| size | bytes |',
    '| --- | --- |',
    `| compiled payload of one rule set (${RULES_PER_SET} rules), median | ${fmt(median(setSizes))} B |`,
    `| merged bundle of ${fmt(bundle.rules.length)} rules, canonical JSON | ${fmt(canonicalBytes(bundle).length)} B |`,
    `| agent files for them (waf-rules.yaml + waf-ip-lists.yaml) | ${fmt(yamlBytes)} B |`,
  ];
}

const phaseArg = process.argv.indexOf('--waf-bench-phase');
if (phaseArg > 0 && process.send) {
  process.send(measure(process.argv[phaseArg + 1] as Phase), () => process.exit(0));
}

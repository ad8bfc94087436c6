/**
 * `gateway-worker waf test -f FILE [--requests FILE]` and `gateway-worker waf import FILE`:
 * WafRuleSets offline. `test` compiles the rule sets of a manifest the way the controller does
 * (several are merged as a gateway selected by all of them applies them), runs their spec.tests
 * and prints one JSON decision per request line; `import` turns the gateway's own rule file into
 * a WafRuleSet manifest. Files and printing only: the logic lives in src/domain/waf.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse, stringify } from 'yaml';
import { API_VERSION } from '../api/v1alpha1/index.js';
import { DNS_SUBDOMAIN, matches } from '../api/v1alpha1/checks/names.js';
import {
  WafImportError,
  compileRuleSet,
  createEvaluator,
  describeFailure,
  importGatewayRuleFile,
  isMerged,
  mergeRuleSets,
  runTests,
  type CompiledRuleSet,
  type WafRequest,
  type WafRuleSetSpecInput,
} from '../domain/waf/index.js';
import { parseCidr } from '../domain/threats/cidrs.js';
import { readDocuments } from '../validate/documents.js';
import type { Output } from './main.js';

const USAGE = [
  'Usage: gateway-worker waf test -f FILE [--requests FILE|-] [--ip-lists FILE]',
  '       gateway-worker waf import FILE [--name NAME] [--namespace NAMESPACE]',
  '',
  'test    compiles the WafRuleSets in FILE as the operator does (several are merged in priority',
  '        order, as a gateway selected by all of them applies them) and runs their spec.tests.',
  '        With --requests, evaluates each line of that file, a JSON request such as',
  '        {"method":"GET","uri":"/search?q=1","headers":{"User-Agent":"curl"},"ip":"203.0.113.7"},',
  '        and prints one JSON decision per line. Exit code 1 when a rule set is invalid (the',
  '        problems go to stderr), a test fails or a request line is not a request.',
  "        With --ip-lists, a gateway's waf-ip-lists.yaml (as the agent writes it, with the IP",
  '        deny lists of ThreatFeeds) or a file of one address or CIDR per line ("#" comments):',
  '        its ip_blacklist (or lines) are denied and its ip_whitelist allowed, as on the gateway.',
  "import  turns the gateway's own rule file (waf-rules.yaml) into a WafRuleSet manifest on",
  '        stdout; NAME defaults to the file name.',
  '',
].join('\n');

type Parsed =
  | {
      readonly command: 'test';
      readonly manifest: string;
      readonly requests: string | undefined;
      readonly ipLists: string | undefined;
    }
  | { readonly command: 'import'; readonly file: string; readonly name?: string; readonly namespace?: string }
  | { readonly help: true }
  | { readonly error: string };

function parseArgs(args: readonly string[]): Parsed {
  const [command, ...rest] = args;
  if (command === undefined || command === '-h' || command === '--help') return { help: true };
  if (command !== 'test' && command !== 'import') return { error: `unknown subcommand "${command}"` };
  const options = new Map<string, string>();
  const positional: string[] = [];
  const flags: Record<string, string> = {
    '-f': 'file',
    '--filename': 'file',
    '--requests': 'requests',
    '--ip-lists': 'ipLists',
    '--name': 'name',
    '--namespace': 'namespace',
    '-n': 'namespace',
  };
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] ?? '';
    if (arg === '-h' || arg === '--help') return { help: true };
    const key = flags[arg];
    if (key === undefined) {
      if (arg.startsWith('-') && arg !== '-') return { error: `unknown argument "${arg}"` };
      positional.push(arg);
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined) return { error: `${arg} needs a value` };
    options.set(key, value);
    i += 1;
  }
  if (command === 'test') {
    const manifest = options.get('file');
    if (manifest === undefined) return { error: 'test needs the manifest: -f FILE' };
    if (positional.length > 0 || options.has('name') || options.has('namespace')) {
      return { error: 'test takes -f FILE, --requests FILE and --ip-lists FILE only' };
    }
    return { command, manifest, requests: options.get('requests'), ipLists: options.get('ipLists') };
  }
  const [file, ...extra] = positional;
  if (file === undefined) return { error: 'import needs the rule file: import FILE' };
  if (extra.length > 0 || options.has('file') || options.has('requests') || options.has('ipLists')) {
    return { error: 'import takes FILE, --name and --namespace only' };
  }
  const name = options.get('name') ?? basename(file, extname(file)).toLowerCase();
  if (!matches(DNS_SUBDOMAIN, name) || name.length > 253) {
    return { error: `"${name}" is not a valid object name; give one with --name` };
  }
  const namespace = options.get('namespace');
  return { command, file, name, ...(namespace === undefined ? {} : { namespace }) };
}

export function runWaf(args: readonly string[], out: Output): number {
  const parsed = parseArgs(args);
  if ('help' in parsed) {
    out.stdout(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.stderr(`gateway-worker waf: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  try {
    return parsed.command === 'test'
      ? runTest(parsed.manifest, parsed.requests, parsed.ipLists, out)
      : runImport(parsed.file, parsed.name ?? '', parsed.namespace, out);
  } catch (error) {
    if (error instanceof UnreadableFile) {
      out.stderr(`gateway-worker waf: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

class UnreadableFile extends Error {}

function read(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new UnreadableFile(`cannot read ${path}: ${(error as Error).message}`);
  }
}

interface Source {
  readonly label: string;
  readonly namespace: string;
  readonly name: string;
  readonly spec: WafRuleSetSpecInput;
}

/** The WafRuleSets of a manifest file; other documents are skipped, as kubectl would apply them. */
function ruleSets(path: string, out: Output): Source[] | undefined {
  const sources: Source[] = [];
  let ok = true;
  for (const doc of readDocuments(read(path))) {
    for (const error of doc.errors) {
      out.stderr(`${path}:${doc.index}: YAML: ${error}\n`);
      ok = false;
    }
    const value = doc.value as
      | {
          apiVersion?: unknown;
          kind?: unknown;
          metadata?: { name?: unknown; namespace?: unknown };
          spec?: unknown;
        }
      | undefined;
    if (value?.apiVersion !== API_VERSION || value.kind !== 'WafRuleSet') continue;
    const name = typeof value.metadata?.name === 'string' ? value.metadata.name : `document-${doc.index}`;
    const namespace = typeof value.metadata?.namespace === 'string' ? value.metadata.namespace : 'default';
    sources.push({
      label: `${path}:${doc.index}: ${namespace}/${name}`,
      namespace,
      name,
      // Whatever it holds: compileRuleSet validates it before reading it.
      spec: value.spec ?? {},
    });
  }
  if (ok && sources.length === 0) {
    out.stderr(`${path}: no WafRuleSet (${API_VERSION}) found\n`);
    return undefined;
  }
  return ok ? sources : undefined;
}

function runTest(
  manifest: string,
  requestsPath: string | undefined,
  ipListsPath: string | undefined,
  out: Output,
): number {
  const sources = ruleSets(manifest, out);
  if (!sources) return 1;
  const compiled: CompiledRuleSet[] = [];
  let failed = false;
  for (const source of sources) {
    const result = compileRuleSet(source);
    if ('problems' in result) {
      for (const p of result.problems) {
        out.stderr(`${source.label}: ${p.path}: ${p.message}${p.rule === undefined ? '' : ` (${p.rule})`}\n`);
      }
      failed = true;
      continue;
    }
    compiled.push(result);
    for (const failure of runTests(result, source.spec.tests ?? [])) {
      out.stderr(`${source.label}: ${describeFailure(failure)}\n`);
      failed = true;
    }
  }
  if (compiled.length < sources.length) return 1;
  const bundle = mergeRuleSets(compiled);
  if (!isMerged(bundle)) {
    for (const conflict of bundle.conflicts) out.stderr(`${manifest}: ${conflict.message}\n`);
    return 1;
  }
  if (requestsPath !== undefined) {
    const lists = ipListsPath === undefined ? undefined : readIpLists(ipListsPath);
    if (typeof lists === 'string') {
      out.stderr(`${ipListsPath ?? ''}: ${lists}\n`);
      return 1;
    }
    const evaluator = createEvaluator(
      lists
        ? {
            ...bundle,
            ipAllowList: [...bundle.ipAllowList, ...lists.allow],
            ipDenyList: [...bundle.ipDenyList, ...lists.deny],
          }
        : bundle,
    );
    try {
      read(requestsPath)
        .split('\n')
        .forEach((line, i) => {
          if (line.trim() === '') return;
          const request = parseRequest(line);
          if (typeof request === 'string') {
            out.stderr(`${requestsPath}:${i + 1}: ${request}\n`);
            out.stdout(`${JSON.stringify({ error: request })}\n`);
            failed = true;
          } else {
            out.stdout(`${JSON.stringify(evaluator.evaluate(request))}\n`);
          }
        });
    } finally {
      evaluator.dispose();
    }
  }
  return failed ? 1 : 0;
}

/**
 * The IP lists a gateway applies besides the rule sets' own: the agent's waf-ip-lists.yaml (the
 * WAF's lists merged with the ip-deny lists of threat feeds and decisions), or a plain list.
 */
function readIpLists(path: string): { allow: string[]; deny: string[] } | string {
  const text = read(path);
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { ip_whitelist: allow, ip_blacklist: deny } = value as Record<string, unknown>;
    const strings = (list: unknown): string[] | undefined =>
      list === undefined || list === null
        ? []
        : Array.isArray(list) && list.every((v) => typeof v === 'string')
          ? list
          : undefined;
    const [a, d] = [strings(allow), strings(deny)];
    if (!a || !d) return 'ip_whitelist and ip_blacklist must be lists of addresses or CIDRs';
    return { allow: a, deny: d };
  }
  const deny: string[] = [];
  const bad: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/[#;].*/, '').trim();
    if (line === '') return;
    if (parseCidr(line)) deny.push(line);
    else bad.push(i + 1);
  });
  if (bad.length > 0)
    return `line ${bad.slice(0, 5).join(', ')} is not an address or CIDR (expected waf-ip-lists.yaml or one address or CIDR per line)`;
  return { allow: [], deny };
}

/** A request line, or why it is not one. */
function parseRequest(line: string): WafRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { method, uri, headers, ip, body, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined) return `unknown field "${extra}" (expected method, uri, headers, ip, body)`;
  if (typeof uri !== 'string' || uri === '') return 'uri must be a non-empty string';
  for (const [key, field] of [
    ['method', method],
    ['ip', ip],
    ['body', body],
  ] as const) {
    if (field !== undefined && typeof field !== 'string') return `${key} must be a string`;
  }
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      return 'headers must be an object of strings';
    }
    if (Object.values(headers).some((v) => typeof v !== 'string'))
      return 'headers must be an object of strings';
  }
  return {
    uri,
    ...(typeof method === 'string' ? { method } : {}),
    ...(headers === undefined ? {} : { headers: headers as Record<string, string> }),
    ...(typeof ip === 'string' ? { ip } : {}),
    ...(typeof body === 'string' ? { body } : {}),
  };
}

function runImport(file: string, name: string, namespace: string | undefined, out: Output): number {
  try {
    const { manifest, warnings } = importGatewayRuleFile(read(file), {
      name,
      ...(namespace === undefined ? {} : { namespace }),
    });
    for (const warning of warnings) out.stderr(`${file}: warning: ${warning}\n`);
    out.stdout(
      `# Imported from ${basename(file)} by gateway-worker waf import.\n` +
        // YAML 1.1, as kubectl reads it: a value such as "yes" or "on" stays a quoted string.
        stringify(manifest, { lineWidth: 0, version: '1.1' }),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof WafImportError)) throw error;
    for (const problem of error.problems) out.stderr(`${file}: ${problem}\n`);
    return 1;
  }
}

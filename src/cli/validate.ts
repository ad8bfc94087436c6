/**
 * `gateway-worker validate -f FILE|DIR [-f ...]`: checks manifests offline, for CI. Prints one
 * `file:doc:path: message` line per problem on stdout and a summary on stderr; exits 1 when
 * there are problems, 0 when clean and 2 on a usage error. Files and printing only: the checks
 * live in src/validate.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateText } from '../validate/index.js';
import type { Output } from './main.js';

const USAGE = [
  'Usage: gateway-worker validate -f FILE|DIR [-f FILE|DIR ...]',
  '',
  'Checks Certificate, WafRuleSet and RouteConfig manifests offline: the schema and rules the API',
  "server applies, plus the gateway's regex dialect and duration ranges. Folders are read",
  'recursively (*.yaml, *.yml, *.json); documents of other kinds are skipped.',
  'Prints file:doc:path: message per problem. Exit code 1 on problems, 0 when clean.',
  '',
].join('\n');

type Parsed = { paths: string[] } | { help: true } | { error: string };

function parseArgs(args: readonly string[]): Parsed {
  const paths: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '-f' || arg === '--filename') {
      const value = args[i + 1];
      if (value === undefined) return { error: `${arg} needs a file or folder` };
      paths.push(value);
      i += 1;
    } else if (arg.startsWith('--filename=')) {
      paths.push(arg.slice('--filename='.length));
    } else {
      return { error: `unexpected argument "${arg}"` };
    }
  }
  return paths.length ? { paths } : { error: 'no manifests given: use -f FILE|DIR' };
}

/** Manifest files under a path, sorted so output is stable across machines. */
function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) return manifestFiles(full);
      return /\.(ya?ml|json)$/.test(entry) ? [full] : [];
    });
}

export function runValidate(args: readonly string[], out: Output): number {
  const parsed = parseArgs(args);
  if ('help' in parsed) {
    out.stdout(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.stderr(`gateway-worker validate: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  let problems = 0;
  let documents = 0;
  let files = 0;
  for (const path of parsed.paths) {
    let list: string[];
    try {
      list = manifestFiles(path);
    } catch (error) {
      out.stderr(`gateway-worker validate: ${path}: ${(error as Error).message}\n`);
      return 2;
    }
    for (const file of list) {
      files += 1;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        out.stdout(`${file}:0:: cannot read: ${(error as Error).message}\n`);
        problems += 1;
        continue;
      }
      const report = validateText(text);
      documents += report.checked;
      problems += report.problems.length;
      for (const p of report.problems) out.stdout(`${file}:${p.doc}:${p.path}: ${p.message}\n`);
    }
  }
  out.stderr(
    `validate: ${problems} problem${problems === 1 ? '' : 's'} in ${documents} document${documents === 1 ? '' : 's'} of ${files} file${files === 1 ? '' : 's'}\n`,
  );
  return problems ? 1 : 0;
}

/**
 * `gateway-worker routes import --gateway-config FILE [--ingress FILE ...]`: turns the gateway's
 * gateway.yaml `upstream` section and Ingress objects with its annotations into RouteConfig
 * manifests on stdout; whatever could not be carried over is reported on stderr. Exit codes: 0
 * imported, 1 nothing importable or an unreadable file, 2 usage. Files and printing only: the
 * conversions live in src/domain/routes/import.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { importGatewayConfig } from '../domain/routes/import/gateway-config.js';
import { importIngresses } from '../domain/routes/import/ingress.js';
import type { ImportNote, RouteConfigManifest } from '../domain/routes/import/convert.js';
import { validateObject } from '../validate/index.js';
import type { Output } from './main.js';

const USAGE = [
  'Usage: gateway-worker routes import [--gateway-config FILE] [--ingress FILE ...] [options]',
  '',
  "Writes RouteConfig manifests for the gateway's gateway.yaml `upstream` section and for Ingress",
  'objects (YAML, several documents or a List allowed) with gateway.awesomeapi.com.br/* annotations.',
  'Settings RouteConfig cannot express are reported on stderr, one line each.',
  '',
  'Options:',
  '  --gateway-config FILE   the gateway.yaml to import the upstream section from',
  '  --ingress FILE          Ingress manifests to import (repeatable)',
  '  --namespace NS          namespace of the RouteConfigs (default: the Ingress namespace)',
  '  --hostname HOST         host names for the upstream RouteConfig and for rules without a host',
  '                          (repeatable; default for the upstream: ssl.auto_ssl.domains)',
  '  --name NAME             name of the upstream RouteConfig (default: upstream)',
  '',
].join('\n');

interface ImportArgs {
  gatewayConfig?: string;
  ingresses: string[];
  namespace?: string;
  hostnames: string[];
  name?: string;
}

type Parsed = { args: ImportArgs } | { help: true } | { error: string };

function parseArgs(args: readonly string[]): Parsed {
  const parsed: ImportArgs = { ingresses: [], hostnames: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') return { help: true };
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const value = inline ?? args[i + 1];
    const takes = ['--gateway-config', '--ingress', '--namespace', '--hostname', '--name'];
    if (!takes.includes(flag)) return { error: `unknown argument "${arg}"` };
    if (value === undefined || value === '') return { error: `${flag} needs a value` };
    if (inline === undefined) i += 1;
    if (flag === '--gateway-config') parsed.gatewayConfig = value;
    else if (flag === '--ingress') parsed.ingresses.push(value);
    else if (flag === '--namespace') parsed.namespace = value;
    else if (flag === '--hostname') parsed.hostnames.push(value);
    else parsed.name = value;
  }
  if (parsed.gatewayConfig === undefined && parsed.ingresses.length === 0) {
    return { error: 'nothing to import: give --gateway-config FILE and/or --ingress FILE' };
  }
  return { args: parsed };
}

class InputError extends Error {}

/** Every YAML document of a file as plain data; a syntax error names the file. */
function readYaml(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    const first = doc.errors[0];
    if (first) throw new InputError(`${file}: not valid YAML: ${first.message.split('\n')[0] ?? ''}`);
  }
  return docs.map((doc) => doc.toJS() as unknown);
}

function runImport(args: ImportArgs, out: Output): number {
  const manifests: RouteConfigManifest[] = [];
  const notes: ImportNote[] = [];
  if (args.gatewayConfig !== undefined) {
    const result = importGatewayConfig(readYaml(args.gatewayConfig)[0], {
      fileName: args.gatewayConfig,
      hostnames: args.hostnames,
      ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
      ...(args.name !== undefined ? { name: args.name } : {}),
    });
    manifests.push(...result.manifests);
    notes.push(...result.notes);
  }
  for (const file of args.ingresses) {
    const result = importIngresses(readYaml(file), {
      hostnames: args.hostnames,
      ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
    });
    manifests.push(...result.manifests);
    notes.push(...result.notes.map((n) => ({ ...n, source: `${file}: ${n.source}` })));
  }
  for (const note of notes) out.stderr(`routes import: ${note.source}: ${note.message}\n`);

  // The importer's own check: what it writes must pass `gateway-worker validate`.
  const invalid = manifests.flatMap((m, i) =>
    (validateObject(m, i + 1) ?? []).map((p) => `document ${p.doc} ${p.path}: ${p.message}`),
  );
  if (invalid.length > 0) {
    for (const line of invalid) out.stderr(`routes import: ${line}\n`);
    out.stderr('routes import: the manifests above would be rejected; nothing written\n');
    return 1;
  }
  if (manifests.length === 0) {
    out.stderr('routes import: nothing could be imported\n');
    return 1;
  }
  out.stdout(manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n'));
  out.stderr(
    `routes import: ${manifests.length} RouteConfig${manifests.length === 1 ? '' : 's'}, ` +
      `${notes.length} note${notes.length === 1 ? '' : 's'}\n`,
  );
  return 0;
}

export function runRoutes(args: readonly string[], out: Output): number {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') {
    out.stdout(USAGE);
    return 0;
  }
  if (sub === undefined) {
    out.stderr(`gateway-worker routes: which subcommand?\n\n${USAGE}`);
    return 2;
  }
  if (sub !== 'import') {
    out.stderr(`gateway-worker routes: unknown subcommand "${sub}"\n\n${USAGE}`);
    return 2;
  }
  const parsed = parseArgs(rest);
  if ('help' in parsed) {
    out.stdout(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    out.stderr(`gateway-worker routes import: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  try {
    return runImport(parsed.args, out);
  } catch (error) {
    if (error instanceof InputError) {
      out.stderr(`gateway-worker routes import: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

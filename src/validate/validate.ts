/**
 * Offline validation of manifests: the checks the API server applies to our kinds (schema and
 * CEL rules) and those it cannot (the gateway's regex dialect, duration overflow). Pure: text in,
 * problems out; reading files and printing belong to the CLI.
 */
import { API_VERSION, GROUP, KINDS, kindNamed } from '../api/v1alpha1/index.js';
import { DNS_SUBDOMAIN, matches } from '../api/v1alpha1/checks/names.js';
import { readDocuments } from './documents.js';
import { showValue, type Problem } from './problem.js';
import { checkRules } from './rule-check.js';
import { checkSchema } from './schema-check.js';

export interface Report {
  readonly problems: Problem[];
  /** Documents of our kinds that were checked. */
  readonly checked: number;
  /** Documents of other kinds (Deployments, ...), left alone. */
  readonly skipped: number;
}

export function validateText(text: string): Report {
  const problems: Problem[] = [];
  let checked = 0;
  let skipped = 0;
  for (const doc of readDocuments(text)) {
    if (doc.errors.length) {
      problems.push(
        ...doc.errors.map((message) => ({ doc: doc.index, path: '', message: `YAML: ${message}` })),
      );
      continue;
    }
    if (doc.value === undefined) continue;
    const result = validateObject(doc.value, doc.index);
    if (result === undefined) {
      skipped += 1;
      continue;
    }
    checked += 1;
    problems.push(...result);
  }
  return { problems, checked, skipped };
}

/**
 * The problems of one document, or undefined when it is not ours (another API group). The
 * object is validated on a copy: defaults are filled into the copy, as the API server would.
 */
export function validateObject(value: unknown, doc = 1): Problem[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      { doc, path: '', message: 'not a Kubernetes object: expected a mapping with apiVersion and kind' },
    ];
  }
  const obj = value as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  if (apiVersion.split('/')[0] !== GROUP) return undefined;
  if (apiVersion !== API_VERSION) {
    return [
      {
        doc,
        path: 'apiVersion',
        message: `Unsupported value: ${showValue(apiVersion)}: supported values: "${API_VERSION}"`,
      },
    ];
  }
  const kind = kindNamed(typeof obj.kind === 'string' ? obj.kind : '');
  if (!kind) {
    const supported = KINDS.map((k) => `"${k.kind}"`).join(', ');
    return [
      {
        doc,
        path: 'kind',
        message: `Unsupported value: ${showValue(obj.kind)}: supported values: ${supported}`,
      },
    ];
  }
  const copy = structuredClone(obj);
  const schemaProblems = checkSchema(kind.root.json, copy, doc);
  return [
    ...metadataProblems(copy.metadata, doc),
    ...schemaProblems,
    ...checkRules(kind.root, copy, doc, schemaProblems),
  ];
}

/**
 * A copy of a manifest of our kinds with the schema defaults filled in, as the API server stores
 * it; undefined for other kinds. Problems are ignored: validate first.
 */
export function withDefaults(value: unknown): unknown {
  const obj = value as Record<string, unknown> | null;
  const kind = obj?.apiVersion === API_VERSION ? kindNamed(String(obj.kind)) : undefined;
  if (!kind) return undefined;
  const copy = structuredClone(obj);
  checkSchema(kind.root.json, copy, 1);
  return copy;
}

/** The API server validates metadata itself; the part a manifest author gets wrong is the name. */
function metadataProblems(metadata: unknown, doc: number): Problem[] {
  if (typeof metadata !== 'object' || metadata === null) return [];
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  if (name === undefined) {
    return generateName === undefined
      ? [{ doc, path: 'metadata.name', message: 'Required value: name or generateName is required' }]
      : [];
  }
  if (typeof name === 'string' && name.length <= 253 && matches(DNS_SUBDOMAIN, name)) return [];
  return [
    {
      doc,
      path: 'metadata.name',
      message:
        `Invalid value: ${showValue(name)}: a lowercase RFC 1123 subdomain must consist of lower case ` +
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    },
  ];
}

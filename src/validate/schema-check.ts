/**
 * Structural validation with ajv against the same JSON schema the CRD carries, with the API
 * server's semantics: defaults filled in, unknown fields reported (the server rejects them under
 * kubectl's default strict field validation, and would otherwise prune them silently), and
 * messages worded like the server's so that CI output and `kubectl apply` errors read alike.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../api/v1alpha1/schema/builder.js';
import { childPath, showValue, type Problem } from './problem.js';

type AjvSchema = Record<string, unknown>;

/**
 * Kubernetes forbids `additionalProperties: false` in structural schemas (unknown fields are
 * pruned instead), and ajv in strict mode refuses the x-kubernetes-* keywords; the ajv copy
 * closes every object that lists its properties and drops the extensions.
 */
export function toAjvSchema(schema: JsonSchema): AjvSchema {
  const out: AjvSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      const properties = value as Record<string, JsonSchema>;
      out.properties = Object.fromEntries(
        Object.entries(properties).map(([name, child]) => [name, toAjvSchema(child)]),
      );
      out.additionalProperties = false;
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toAjvSchema(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

// The formats the API server checks (kube-openapi's strfmt), reduced to what our schemas use.
const FORMATS = {
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  email: /^[^\s@<>]+@[^\s@<>]+$/,
};

// verbose: errors carry the offending value, which the messages quote like the server does.
const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, formats: FORMATS });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/**
 * Validates `value` in place (defaults are written into it) and returns its problems. Paths are
 * absolute from the document root.
 */
export function checkSchema(schema: JsonSchema, value: unknown, doc: number): Problem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(toAjvSchema(schema));
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => toProblem(error, doc));
}

function pathOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<string>((path, part) => childPath(path, /^\d+$/.test(part) ? Number(part) : part), '');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function toProblem(error: ErrorObject, doc: number): Problem {
  const path = pathOf(error.instancePath);
  const value: unknown = error.data;
  const params = error.params as Record<string, unknown>;
  const limit = Number(params.limit);
  const shown = showValue(value);
  const inBody = `${path} in body`;
  switch (error.keyword) {
    case 'required':
      return { doc, path: childPath(path, String(params.missingProperty)), message: 'Required value' };
    case 'additionalProperties': {
      const field = childPath(path, String(params.additionalProperty));
      return { doc, path: field, message: `unknown field "${field}"` };
    }
    case 'type': {
      const actual = jsonType(value);
      return {
        doc,
        path,
        message: `Invalid value: "${actual}": ${inBody} must be of type ${String(params.type)}: "${actual}"`,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(showValue).join(', ');
      return { doc, path, message: `Unsupported value: ${shown}: supported values: ${allowed}` };
    }
    case 'format':
      return {
        doc,
        path,
        message: `Invalid value: ${shown}: ${inBody} must be of type ${String(params.format)}: ${shown}`,
      };
    case 'minimum':
      return {
        doc,
        path,
        message: `Invalid value: ${shown}: ${inBody} should be greater than or equal to ${limit}`,
      };
    case 'maximum':
      return {
        doc,
        path,
        message: `Invalid value: ${shown}: ${inBody} should be less than or equal to ${limit}`,
      };
    case 'minLength':
      return {
        doc,
        path,
        message: `Invalid value: ${shown}: ${inBody} should be at least ${limit} chars long`,
      };
    case 'maxLength':
      return { doc, path, message: `Too long: may not be more than ${limit} bytes` };
    case 'minItems':
      return {
        doc,
        path,
        message: `Invalid value: ${Array.isArray(value) ? value.length : 0}: ${inBody} should have at least ${limit} items`,
      };
    case 'maxItems':
      return {
        doc,
        path,
        message: `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${plural(limit, 'item')}`,
      };
    case 'maxProperties': {
      const count = typeof value === 'object' && value !== null ? Object.keys(value).length : 0;
      return { doc, path, message: `Too many: ${count}: must have at most ${plural(limit, 'item')}` };
    }
    case 'pattern':
      return {
        doc,
        path,
        message: `Invalid value: ${shown}: ${inBody} should match '${String(params.pattern)}'`,
      };
    default:
      return { doc, path, message: `Invalid value: ${shown}: ${error.message ?? error.keyword}` };
  }
}

/**
 * Small typed readers for JSON payloads. Each failure names the path of the offending value
 * (`rules[2].conditions[0].operator`), because the message travels back to the worker in a NACK
 * and ends up in a custom resource's condition, where a user has to act on it.
 */

/** An invalid payload; the message starts with the path of the value at fault. */
export class PayloadProblem extends Error {
  override readonly name = 'PayloadProblem';
}

export type JsonObject = Record<string, unknown>;

export function parseJson(payload: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (error) {
    throw new PayloadProblem(`payload is not JSON: ${(error as Error).message}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** An object whose keys are all in `allowed`: an unknown key is usually a misspelt one. */
export function object(value: unknown, path: string, allowed: readonly string[]): JsonObject {
  if (!isObject(value)) {
    throw new PayloadProblem(`${path || 'payload'}: must be an object, got ${describe(value)}`);
  }
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new PayloadProblem(
      `${join(path, unknown[0] ?? '')}: unknown field (expected one of ${allowed.join(', ')})`,
    );
  }
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new PayloadProblem(`${path}: must be an array, got ${describe(value)}`);
  return value;
}

/** A string field; `fallback` makes it optional. */
export function string(record: JsonObject, key: string, path: string, fallback?: string): string {
  const value = record[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string') {
    throw new PayloadProblem(`${join(path, key)}: must be a string, got ${describe(value)}`);
  }
  return value;
}

export function boolean(record: JsonObject, key: string, path: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') {
    throw new PayloadProblem(`${join(path, key)}: must be true or false, got ${describe(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(
  record: JsonObject,
  key: string,
  path: string,
  allowed: readonly T[],
): T {
  const value = string(record, key, path);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new PayloadProblem(`${join(path, key)}: "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A map of strings to strings, such as the gateway's `metadata`; absent means empty. */
export function stringMap(record: JsonObject, key: string, path: string): Record<string, string> {
  const value = record[key];
  if (value === undefined) return {};
  const map = object(value, join(path, key), isObject(value) ? Object.keys(value) : []);
  for (const [name, entry] of Object.entries(map)) {
    if (typeof entry !== 'string') {
      throw new PayloadProblem(`${join(join(path, key), name)}: must be a string, got ${describe(entry)}`);
    }
  }
  return map as Record<string, string>;
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

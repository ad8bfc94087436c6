/**
 * Query parameters a route accepts, each a small parser that knows how to say what it allows,
 * so every 400 answer names the parameter, the value given and the values accepted.
 */

export interface QueryParam<T> {
  /** What the parameter accepts, for error messages and docs: "one of a, b, c". */
  readonly allowed: string;
  /** The parsed value, or undefined when `raw` is not acceptable. */
  parse(raw: string): T | undefined;
  readonly defaultValue?: T;
}

export type QuerySpec = Readonly<Record<string, QueryParam<unknown>>>;

/** The parsed query: a parameter with a default is always present, the others only when given. */
export type ParsedQuery<Q extends QuerySpec> = {
  readonly [K in keyof Q as Q[K] extends { defaultValue: unknown } ? K : never]: Q[K] extends QueryParam<
    infer T
  >
    ? T
    : never;
} & {
  readonly [K in keyof Q as Q[K] extends { defaultValue: unknown } ? never : K]?: Q[K] extends QueryParam<
    infer T
  >
    ? T
    : never;
};

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** One of a fixed list of words. */
export function oneOf<const W extends readonly string[]>(words: W): QueryParam<W[number]>;
export function oneOf<const W extends readonly string[]>(
  words: W,
  options: { default: W[number] },
): QueryParam<W[number]> & { defaultValue: W[number] };
export function oneOf<const W extends readonly string[]>(
  words: W,
  options: { default?: W[number] } = {},
): QueryParam<W[number]> {
  return {
    allowed: `one of ${words.join(', ')}`,
    parse: (raw) => ((words as readonly string[]).includes(raw) ? raw : undefined),
    ...(options.default === undefined ? {} : { defaultValue: options.default }),
  };
}

/** An integer in [min, max]. */
export function integer(options: { min: number; max: number }): QueryParam<number>;
export function integer(options: {
  min: number;
  max: number;
  default: number;
}): QueryParam<number> & { defaultValue: number };
export function integer(options: { min: number; max: number; default?: number }): QueryParam<number> {
  return {
    allowed: `an integer from ${options.min} to ${options.max}`,
    parse: (raw) => {
      if (!/^-?[0-9]{1,15}$/.test(raw)) return undefined;
      const value = Number(raw);
      return value >= options.min && value <= options.max ? value : undefined;
    },
    ...(options.default === undefined ? {} : { defaultValue: options.default }),
  };
}

/** `true` or `false`. */
export function boolean(): QueryParam<boolean> {
  return {
    allowed: 'true or false',
    parse: (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
  };
}

/** A Kubernetes namespace name (a DNS-1123 label). */
export function namespaceName(): QueryParam<string> {
  return {
    allowed: "a namespace name (a DNS-1123 label: at most 63 lowercase letters, digits or '-')",
    parse: (raw) => (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw) ? raw : undefined),
  };
}

/**
 * Parses `params` against `spec`: an unknown parameter, a repeated one or a bad value is a
 * {@link QueryError} that names it and says what is allowed.
 */
export function parseQuery<Q extends QuerySpec>(spec: Q, params: URLSearchParams): ParsedQuery<Q> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(spec);
  for (const name of new Set(params.keys())) {
    const param = spec[name];
    if (!param) {
      throw new QueryError(
        names.length === 0
          ? `unknown query parameter "${name}": this path takes none`
          : `unknown query parameter "${name}": allowed are ${names.join(', ')}`,
      );
    }
    const values = params.getAll(name);
    if (values.length > 1)
      throw new QueryError(`query parameter "${name}" is given ${values.length} times; give it once`);
    const raw = values[0] ?? '';
    const value = param.parse(raw);
    if (value === undefined)
      throw new QueryError(
        `query parameter ${name}=${JSON.stringify(raw).slice(0, 80)}: must be ${param.allowed}`,
      );
    out[name] = value;
  }
  for (const name of names) {
    const param = spec[name];
    if (out[name] === undefined && param?.defaultValue !== undefined) out[name] = param.defaultValue;
  }
  return out as ParsedQuery<Q>;
}

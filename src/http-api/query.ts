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

const DURATION = /^([0-9]{1,9})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `5m`, `1h`, `7d` → milliseconds, or undefined. */
export function parseDuration(raw: string): number | undefined {
  const match = DURATION.exec(raw);
  if (!match?.[1] || !match[2]) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A duration in [min, max] milliseconds, written 30s, 5m, 1h or 7d. */
export function duration(options: { min: number; max: number; default: number }): QueryParam<number> & {
  defaultValue: number;
};
export function duration(options: { min: number; max: number }): QueryParam<number>;
export function duration(options: { min: number; max: number; default?: number }): QueryParam<number> {
  const show = (ms: number) =>
    ms % 86_400_000 === 0
      ? `${ms / 86_400_000}d`
      : ms % 3_600_000 === 0
        ? `${ms / 3_600_000}h`
        : ms % 60_000 === 0
          ? `${ms / 60_000}m`
          : `${ms / 1000}s`;
  return {
    allowed: `a duration such as 30s, 5m, 1h or 7d, from ${show(options.min)} to ${show(options.max)}`,
    parse: (raw) => {
      const ms = parseDuration(raw);
      return ms !== undefined && ms >= options.min && ms <= options.max ? ms : undefined;
    },
    ...(options.default === undefined ? {} : { defaultValue: options.default }),
  };
}

/** A point in time: RFC 3339 (`2026-01-05T10:00:00Z`), or a duration ago (`1h`: an hour before now). */
export type TimeSpec = { readonly atMs: number } | { readonly agoMs: number };

export function resolveTime(spec: TimeSpec, nowMs: number): number {
  return 'atMs' in spec ? spec.atMs : nowMs - spec.agoMs;
}

export function time(options: { default: TimeSpec }): QueryParam<TimeSpec> & { defaultValue: TimeSpec };
export function time(): QueryParam<TimeSpec>;
export function time(options: { default?: TimeSpec } = {}): QueryParam<TimeSpec> {
  return {
    allowed: 'an RFC 3339 time (2026-01-05T10:00:00Z) or a duration before now (30m, 24h, 7d)',
    parse: (raw) => {
      const ago = parseDuration(raw);
      if (ago !== undefined) return { agoMs: ago };
      if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$/.test(raw)) return undefined;
      const atMs = Date.parse(raw);
      return Number.isFinite(atMs) ? { atMs } : undefined;
    },
    ...(options.default === undefined ? {} : { defaultValue: options.default }),
  };
}

/** Free text of printable characters, at most `maxLength` long. */
export function text(options: { maxLength: number; description: string }): QueryParam<string> {
  return {
    allowed: `${options.description} (at most ${options.maxLength} printable characters)`,
    parse: (raw) =>
      raw.length > 0 && raw.length <= options.maxLength && !hasControlCharacter(raw) ? raw : undefined,
  };
}

function hasControlCharacter(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

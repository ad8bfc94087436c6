/**
 * A small typed builder for structural OpenAPI v3 schemas, the single source of truth of our API.
 *
 * Each builder call returns a {@link Node}: the JSON schema that goes into the CRD, the same
 * node's children (so validators can walk data and schema together), its validation rules, and a
 * phantom TypeScript type. `TypeOf<typeof node>` is therefore derived from the very object the
 * CRD is generated from: there is no second, hand-written description of the API to drift.
 */

declare const TYPE: unique symbol;
declare const INPUT: unique symbol;

/** How a property appears in its parent object; `defaulted` fields are always present once stored. */
export type Presence = 'optional' | 'required' | 'defaulted';

export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
}

/** The subset of OpenAPI v3 that Kubernetes accepts in a structural schema, plus its extensions. */
export interface JsonSchema {
  readonly type: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  /** Always set by the builders; only `metadata` goes without (Kubernetes documents it). */
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly (string | number)[];
  readonly default?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
}

/**
 * One semantic rule. `cel` is what the API server evaluates; `problem` is the same rule in
 * TypeScript for offline validation, returning a message when the value breaks it. A rule without
 * `cel` is one CEL cannot express (a Rust regex compiling, a duration overflowing): only the
 * offline validator and the controllers enforce it.
 */
export interface Rule<T> {
  readonly cel?: string;
  readonly message: string;
  /** Where the problem is reported, relative to the node (".value"); the node itself by default. */
  readonly fieldPath?: string;
  // Method syntax on purpose: it keeps Rule<Specific> assignable to Rule<unknown> for the walker.
  problem(self: T): string | undefined;
}

/**
 * `T` is the type of stored objects (defaults filled in), `I` the type a user may write
 * (defaulted fields optional).
 */
export interface Node<T = unknown, P extends Presence = Presence, I = T> {
  readonly json: JsonSchema;
  readonly presence: P;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly items?: Node;
  /** The schema of a map's values. */
  readonly values?: Node;
  readonly rules: readonly Rule<unknown>[];
  readonly [TYPE]?: T;
  readonly [INPUT]?: I;
}

export type TypeOf<N> = N extends Node<infer T, Presence, unknown> ? T : never;
export type InputOf<N> = N extends Node<unknown, Presence, infer I> ? I : never;

type Props = Readonly<Record<string, Node>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type PresentKeys<P extends Props> = {
  [K in keyof P]: P[K]['presence'] extends 'optional' ? never : K;
}[keyof P];
type OptionalKeys<P extends Props> = Exclude<keyof P, PresentKeys<P>>;
type RequiredKeys<P extends Props> = {
  [K in keyof P]: P[K]['presence'] extends 'required' ? K : never;
}[keyof P];
export type ObjectOf<P extends Props> = Simplify<
  { [K in PresentKeys<P>]: TypeOf<P[K]> } & { [K in OptionalKeys<P>]?: TypeOf<P[K]> }
>;
export type ObjectInputOf<P extends Props> = Simplify<
  { [K in RequiredKeys<P>]: InputOf<P[K]> } & { [K in Exclude<keyof P, RequiredKeys<P>>]?: InputOf<P[K]> }
>;

/** A rule the API server checks in CEL, with its TypeScript twin `holds`. */
export function cel<T>(
  rule: string,
  message: string,
  holds: (self: T) => boolean,
  options: { fieldPath?: string } = {},
): Rule<T> {
  return { cel: rule, message, ...options, problem: (self) => (holds(self) ? undefined : message) };
}

/**
 * Like {@link cel}, where the TypeScript twin can also say which value is at fault: `detail`
 * returns undefined when the rule holds, or text appended to the message.
 */
export function celExplained<T>(
  rule: string,
  message: string,
  detail: (self: T) => string | undefined,
  options: { fieldPath?: string } = {},
): Rule<T> {
  return {
    cel: rule,
    message,
    ...options,
    problem: (self) => {
      const extra = detail(self);
      return extra === undefined ? undefined : `${message}: ${extra}`;
    },
  };
}

/** A rule CEL cannot express: checked offline (and by the controllers) only. */
export function offline<T>(
  problem: (self: T) => string | undefined,
  options: { fieldPath?: string } = {},
): Rule<T> {
  return { message: '', ...options, problem };
}

function node<T, I = T>(
  json: JsonSchema,
  rules: readonly Rule<T>[],
  children: Pick<Node, 'properties' | 'items' | 'values'> = {},
): Node<T, 'optional', I> {
  const celRules = rules.flatMap((r) =>
    r.cel === undefined
      ? []
      : [{ rule: r.cel, message: r.message, ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}) }],
  );
  return {
    ...children,
    json: celRules.length ? { ...json, 'x-kubernetes-validations': celRules } : json,
    presence: 'optional',
    rules,
  };
}

interface StringOptions {
  readonly maxLength: number;
  readonly minLength?: number;
  readonly format?: 'byte' | 'date-time' | 'email';
}

/** Every string has a maxLength: CEL cost estimates and etcd object sizes stay bounded. */
export function string(
  description: string,
  options: StringOptions,
  ...rules: Rule<string>[]
): Node<string, 'optional'> {
  return node({ type: 'string', description, ...options }, rules);
}

export function enumeration<const E extends readonly string[]>(
  description: string,
  values: E,
): Node<E[number], 'optional'> {
  return node({ type: 'string', description, enum: values }, []);
}

export function integer(
  description: string,
  options: { minimum: number; maximum?: number },
  ...rules: Rule<number>[]
): Node<number, 'optional'> {
  return node({ type: 'integer', description, ...options }, rules);
}

export function boolean(description: string): Node<boolean, 'optional'> {
  return node({ type: 'boolean', description }, []);
}

interface ArrayOptions {
  readonly maxItems: number;
  readonly minItems?: number;
  /** `set`: the API server rejects duplicate items ("Duplicate value"). */
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
}

export function array<T, I>(
  description: string,
  items: Node<T, Presence, I>,
  options: ArrayOptions,
  ...rules: Rule<T[]>[]
): Node<T[], 'optional', I[]> {
  const { listType, listMapKeys, ...bounds } = options;
  const json: JsonSchema = {
    type: 'array',
    description,
    ...bounds,
    items: items.json,
    ...(listType ? { 'x-kubernetes-list-type': listType } : {}),
    ...(listMapKeys ? { 'x-kubernetes-list-map-keys': listMapKeys } : {}),
  };
  return node(json, rules, { items });
}

/** A string-keyed map (`additionalProperties`), e.g. labels or headers. */
export function map<T, I>(
  description: string,
  values: Node<T, Presence, I>,
  options: { maxProperties: number },
): Node<Record<string, T>, 'optional', Record<string, I>> {
  return node({ type: 'object', description, ...options, additionalProperties: values.json }, [], { values });
}

export function object<const P extends Props>(
  description: string,
  properties: P,
  ...rules: Rule<ObjectOf<P>>[]
): Node<ObjectOf<P>, 'optional', ObjectInputOf<P>> {
  const required = Object.keys(properties).filter((key) => properties[key]?.presence === 'required');
  const json: JsonSchema = {
    type: 'object',
    description,
    properties: Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, child.json])),
    ...(required.length ? { required } : {}),
  };
  return node(json, rules, { properties });
}

/** The field must be set. */
export function required<T, I>(field: Node<T, Presence, I>): Node<T, 'required', I> {
  return { ...field, presence: 'required' };
}

/** The API server fills the field in when it is missing, so stored objects always have it. */
export function defaulted<T, I>(field: Node<T, Presence, I>, value: NoInfer<I>): Node<T, 'defaulted', I> {
  return { ...field, json: { ...field.json, default: value }, presence: 'defaulted' };
}

/** Adds rules to an existing node (shared field shapes with a use-specific rule on top). */
export function withRules<T, P extends Presence, I>(
  field: Node<T, P, I>,
  ...rules: Rule<T>[]
): Node<T, P, I> {
  const all = [...field.rules, ...rules] as readonly Rule<T>[];
  const { 'x-kubernetes-validations': _old, ...json } = field.json;
  const rebuilt = node<T>(json, all);
  return { ...field, json: rebuilt.json, rules: rebuilt.rules };
}

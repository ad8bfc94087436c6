/**
 * One HTTP API route, typed from its own description: the path pattern gives the handler its
 * `params`, the query spec its parsed `query`, and the verb and virtual resource say what the
 * caller must be allowed (the SubjectAccessReview), so a route is declared in one expression.
 */
import type { AccessRequest, UserInfo } from './kube-reviews.js';
import { parseQuery, QueryError, type ParsedQuery, type QuerySpec } from './query.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type ApiVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** `/api/v1/jobs/:id` → `{ id: string }`. */
export type PathParams<P extends string> = P extends `${string}:${infer Param}/${infer Rest}`
  ? { readonly [K in Param]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Param}`
    ? { readonly [K in Param]: string }
    : object;

export interface ApiRequest<P extends string, Q extends QuerySpec, B = undefined> {
  readonly params: PathParams<P>;
  readonly query: ParsedQuery<Q>;
  readonly user: UserInfo;
  /** The JSON request body as the route's {@link BodySpec} parsed it; undefined without one. */
  readonly body: B;
}

/** A JSON request body a route takes: its parser says what is wrong (a {@link QueryError}) and what is allowed. */
export interface BodySpec<B> {
  /** Larger bodies are refused with 413 before they are parsed (default 64 KiB). */
  readonly maxBytes?: number;
  /** Throws {@link QueryError} naming the field and what it allows. */
  parse(value: unknown): B;
}

export const DEFAULT_BODY_BYTES = 64 * 1024;

/** A reply other than 200, or with headers; a handler that returns a plain object answers 200. */
export class ApiResponse {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {}
}

/** A reply that is a file rather than JSON (a stored report): its bytes, served with its content type. */
export class FileResponse {
  constructor(
    readonly contentType: string,
    readonly bytes: Buffer,
    /** Suggested name for saving it (Content-Disposition), when there is one. */
    readonly filename?: string,
  ) {}
}

/** A refusal a handler raises; it becomes `{ code, reason, message }` with its status. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

export interface RouteDefinition<P extends string, Q extends QuerySpec, B = undefined> {
  readonly method: HttpMethod;
  readonly path: P;
  /** The RBAC verb asked on {@link resource}. */
  readonly verb: ApiVerb;
  /** A virtual resource of gateway.awesomeapi.com.br (plural, lowercase). */
  readonly resource: string;
  readonly query?: Q;
  /** The namespace and name the check is made on; cluster-wide and unnamed when absent. */
  readonly scope?: (request: { params: PathParams<P>; query: ParsedQuery<Q> }) => {
    namespace?: string | undefined;
    name?: string | undefined;
  };
  /** A JSON body (POST, PUT, PATCH): parsed after the caller is authorized. */
  readonly body?: BodySpec<B>;
  readonly handler: (request: ApiRequest<P, Q, B>) => object | Promise<object>;
}

/** A request matched to a route and parsed: what to ask the authorizer, and what to run once allowed. */
export interface PreparedCall {
  readonly access: AccessRequest;
  /** Set when the route takes a JSON body: its size limit, and its parser. */
  readonly body?: { readonly maxBytes: number; parse(value: unknown): unknown };
  /** `body` is what {@link body}'s parser returned (undefined for routes without one). */
  run(user: UserInfo, body?: unknown): Promise<ApiResponse>;
}

/** A route with its types erased, as the dispatcher holds it. */
export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  readonly verb: ApiVerb;
  readonly resource: string;
  /** The route's query parameters and what each allows, for the docs and error messages. */
  readonly queryParams: Readonly<Record<string, string>>;
  /** The path parameters when `pathname` matches, else undefined. Throws QueryError on bad escapes. */
  match(pathname: string): Readonly<Record<string, string>> | undefined;
  /** Throws {@link QueryError} for a query the route does not accept. */
  prepare(params: Readonly<Record<string, string>>, search: URLSearchParams): PreparedCall;
}

const PARAM = /^:([A-Za-z][A-Za-z0-9]*)$/;

export function route<const P extends string, const Q extends QuerySpec = QuerySpec, B = undefined>(
  definition: RouteDefinition<P, Q, B>,
): Route {
  const segments = definition.path.split('/');
  const spec = (definition.query ?? {}) as Q;
  return {
    method: definition.method,
    path: definition.path,
    verb: definition.verb,
    resource: definition.resource,
    queryParams: Object.fromEntries(Object.entries(spec).map(([name, param]) => [name, param.allowed])),
    match(pathname) {
      const parts = pathname.split('/');
      if (parts.length !== segments.length) return undefined;
      const params: Record<string, string> = {};
      for (const [i, segment] of segments.entries()) {
        const part = parts[i] ?? '';
        const param = PARAM.exec(segment)?.[1];
        if (param === undefined) {
          if (part !== segment) return undefined;
          continue;
        }
        if (part === '') return undefined;
        params[param] = decodeSegment(part);
      }
      return params;
    },
    prepare(rawParams, search) {
      const params = rawParams as PathParams<P>;
      const query = parseQuery(spec, search);
      const scope = definition.scope?.({ params, query }) ?? {};
      const access: AccessRequest = {
        verb: definition.verb,
        resource: definition.resource,
        ...(scope.namespace ? { namespace: scope.namespace } : {}),
        ...(scope.name ? { name: scope.name } : {}),
      };
      const bodySpec = definition.body;
      return {
        access,
        ...(bodySpec
          ? {
              body: {
                maxBytes: bodySpec.maxBytes ?? DEFAULT_BODY_BYTES,
                parse: (value: unknown) => bodySpec.parse(value),
              },
            }
          : {}),
        async run(user, parsedBody) {
          // The dispatcher passes what this route's own parser returned.
          const answer = await definition.handler({ params, query, user, body: parsedBody as B });
          return answer instanceof ApiResponse ? answer : new ApiResponse(200, answer);
        },
      };
    },
  };
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new QueryError(`path segment "${part.slice(0, 80)}" is not valid percent-encoding`);
  }
}

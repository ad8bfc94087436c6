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

export interface ApiRequest<P extends string, Q extends QuerySpec> {
  readonly params: PathParams<P>;
  readonly query: ParsedQuery<Q>;
  readonly user: UserInfo;
}

/** A reply other than 200, or with headers; a handler that returns a plain object answers 200. */
export class ApiResponse {
  constructor(
    readonly status: number,
    readonly body: object,
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

export interface RouteDefinition<P extends string, Q extends QuerySpec> {
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
  readonly handler: (request: ApiRequest<P, Q>) => object | Promise<object>;
}

/** A request matched to a route and parsed: what to ask the authorizer, and what to run once allowed. */
export interface PreparedCall {
  readonly access: AccessRequest;
  run(user: UserInfo): Promise<ApiResponse>;
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

export function route<const P extends string, const Q extends QuerySpec = QuerySpec>(
  definition: RouteDefinition<P, Q>,
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
      return {
        access,
        async run(user) {
          const body = await definition.handler({ params, query, user });
          return body instanceof ApiResponse ? body : new ApiResponse(200, body);
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

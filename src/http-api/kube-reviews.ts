/**
 * Who is calling and may they, asked of the API server the way kube-rbac-proxy asks: a bearer
 * token goes to TokenReview (authentication.k8s.io/v1), the user it names to SubjectAccessReview
 * (authorization.k8s.io/v1) against a virtual resource in our API group. Both answers are cached
 * briefly in bounded caches; tokens are kept only as SHA-256 digests and never logged.
 */
import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { TtlCache } from './ttl-cache.js';

export const API_GROUP = 'gateway.awesomeapi.com.br';

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export type Authentication =
  | { readonly authenticated: true; readonly user: UserInfo }
  | { readonly authenticated: false; readonly reason: string };

/** What is asked: a verb on one of our virtual resources, cluster-wide unless a namespace is given. */
export interface AccessRequest {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface Authorization {
  readonly allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  readonly reason: string;
}

export interface Authenticator {
  authenticate(token: string): Promise<Authentication>;
}

export interface Authorizer {
  authorize(user: UserInfo, access: AccessRequest): Promise<Authorization>;
}

/** The review could not be made (the API server did not answer, or refused us): neither yes nor no. */
export class ReviewUnavailableError extends Error {
  constructor(
    readonly review: 'TokenReview' | 'SubjectAccessReview',
    cause: unknown,
  ) {
    super(`${review} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ReviewUnavailableError';
  }
}

export interface KubeReviewerOptions {
  readonly client: KubeClient;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** kube-rbac-proxy and the API server's delegated authn/authz cache for 10 s by default. */
  readonly cacheTtlMs?: number;
  readonly cacheEntries?: number;
  /** Each review's deadline. */
  readonly timeoutMs?: number;
  /** Audiences the token must be meant for; the API server's own when empty. */
  readonly audiences?: readonly string[];
}

const DEFAULT_TTL_MS = 10_000;
const DEFAULT_ENTRIES = 1_024;
const DEFAULT_TIMEOUT_MS = 5_000;

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

const reviewCounters = new WeakMap<Registry, Counter<'review' | 'result'>>();

function reviewCounter(registry: Registry): Counter<'review' | 'result'> {
  let counter = reviewCounters.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'gateway_worker_http_api_reviews_total',
      help: 'HTTP API authentication and authorization checks by review (tokenreview, subjectaccessreview) and result (cached, reviewed, failed).',
      labelNames: ['review', 'result'],
      registers: [registry],
    });
    reviewCounters.set(registry, counter);
  }
  return counter;
}

export class KubeReviewer implements Authenticator, Authorizer {
  private readonly tokens: TtlCache<Authentication>;
  private readonly access: TtlCache<Authorization>;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly counter: Counter<'review' | 'result'> | undefined;

  constructor(private readonly options: KubeReviewerOptions) {
    const clock = options.clock ?? systemClock;
    const maxEntries = options.cacheEntries ?? DEFAULT_ENTRIES;
    this.tokens = new TtlCache({ maxEntries, clock });
    this.access = new TtlCache({ maxEntries, clock });
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_TTL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.counter = options.registry ? reviewCounter(options.registry) : undefined;
  }

  authenticate(token: string): Promise<Authentication> {
    const key = createHash('sha256').update(token).digest('hex');
    return this.review('tokenreview', this.tokens, key, () => this.tokenReview(token));
  }

  authorize(user: UserInfo, access: AccessRequest): Promise<Authorization> {
    const key = JSON.stringify([
      user.username,
      user.uid ?? '',
      [...user.groups].sort(),
      user.extra ? Object.entries(user.extra).sort(([a], [b]) => (a < b ? -1 : 1)) : [],
      access.verb,
      access.resource,
      access.namespace ?? '',
      access.name ?? '',
    ]);
    return this.review('subjectaccessreview', this.access, key, () => this.subjectAccessReview(user, access));
  }

  private async review<V>(
    review: 'tokenreview' | 'subjectaccessreview',
    cache: TtlCache<V>,
    key: string,
    load: () => Promise<V>,
  ): Promise<V> {
    try {
      const { value, cached } = await cache.getOrLoad(key, async () => ({
        value: await load(),
        ttlMs: this.ttlMs,
      }));
      this.counter?.inc({ review, result: cached ? 'cached' : 'reviewed' });
      return value;
    } catch (error) {
      this.counter?.inc({ review, result: 'failed' });
      throw error;
    }
  }

  private async tokenReview(token: string): Promise<Authentication> {
    const spec: { token: string; audiences?: string[] } = { token };
    if (this.options.audiences?.length) spec.audiences = [...this.options.audiences];
    let status: TokenReviewStatus | undefined;
    try {
      const review = await this.options.client.request<{ status?: TokenReviewStatus }>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec },
          verb: 'create',
          resource: 'tokenreviews',
          timeoutMs: this.timeoutMs,
        },
      );
      status = review.status;
    } catch (error) {
      throw new ReviewUnavailableError('TokenReview', error);
    }
    const username = status?.user?.username;
    if (status?.authenticated !== true || !username)
      return { authenticated: false, reason: status?.error || 'the token was not accepted' };
    const user: UserInfo = {
      username,
      groups: status.user?.groups ?? [],
      ...(status.user?.uid ? { uid: status.user.uid } : {}),
      ...(status.user?.extra ? { extra: status.user.extra } : {}),
    };
    return { authenticated: true, user };
  }

  private async subjectAccessReview(user: UserInfo, access: AccessRequest): Promise<Authorization> {
    let status: SubjectAccessReviewStatus | undefined;
    try {
      const review = await this.options.client.request<{ status?: SubjectAccessReviewStatus }>(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              groups: [...user.groups],
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
              resourceAttributes: {
                group: API_GROUP,
                resource: access.resource,
                verb: access.verb,
                ...(access.namespace ? { namespace: access.namespace } : {}),
                ...(access.name ? { name: access.name } : {}),
              },
            },
          },
          verb: 'create',
          resource: 'subjectaccessreviews',
          timeoutMs: this.timeoutMs,
        },
      );
      status = review.status;
    } catch (error) {
      throw new ReviewUnavailableError('SubjectAccessReview', error);
    }
    return {
      allowed: status?.allowed === true && status.denied !== true,
      reason: status?.reason || status?.evaluationError || '',
    };
  }
}

/**
 * One certificate order, crash-safe: the intent is recorded before newOrder and the order URL
 * right after, so a restarted operator resumes the order it had instead of creating another.
 * From whatever state the order is in, it is driven on: authorizations solved (all in
 * parallel, each cleaned up), finalized with the caller's CSR, polled until valid honouring
 * Retry-After, and the chain downloaded.
 */
import type { Authorization, Order } from 'acme-client';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { AcmeConnection, OrderStatus } from './connection.js';
import { AcmeError, LocalErrorType, toAcmeError } from './errors.js';
import { certificateHasKey, parseCsr, splitChain, type ParsedCsr, type SplitChain } from './pem.js';
import { pollUntil, throwIfAborted, type PollOptions, type Polled } from './poll.js';
import type { ChallengeSolver } from './solver.js';

export interface OrderRequest {
  /** The certificate's identity (e.g. "namespace/name"): one order at a time per key in this process. */
  readonly key: string;
  readonly dnsNames: readonly string[];
  /**
   * The CSR (PEM or DER) to finalize with. Its private key must already be stored where a
   * restarted operator finds it: a resumed order that was finalized before a crash yields a
   * certificate for that key, and one for another key is discarded (a new order is made).
   */
  readonly csr: string | Uint8Array;
  readonly solver: ChallengeSolver;
  /**
   * The order in progress, from status. Only pass an order that has not been completed and
   * stored: a valid order is downloaded again, which is right after a crash and wrong for a
   * renewal. An order that is gone (404), invalid, or for other names is not resumed.
   */
  readonly orderUrl?: string;
  /** ACME profile (e.g. "shortlived"), for servers that offer profiles. */
  readonly profile?: string;
  /** RFC 9773 CertID of the certificate being renewed; dropped if the server refuses it. */
  readonly replaces?: string;
  /** Chain to prefer when the server offers alternates (issuer common name). */
  readonly preferredChain?: string;
  /** Awaited before newOrder: record in status that an order is being created. */
  readonly onIntent: () => Promise<void>;
  /** Awaited right after newOrder, before anything else: record the order URL. */
  readonly onOrderCreated: (url: string) => Promise<void>;
  /** Each state the order is seen in (status.order.state). */
  readonly onOrderState?: (state: OrderStatus) => Promise<void> | void;
  /** Cancels waiting (operator shutdown); the order stays resumable. */
  readonly signal?: AbortSignal;
}

export interface IssuedCertificate extends SplitChain {
  readonly orderUrl: string;
  /** True when an existing order was continued rather than a new one created. */
  readonly resumed: boolean;
}

export interface OrderEnvironment {
  readonly clock: Clock;
  readonly poll: PollOptions;
  readonly logger?: Logger;
}

export async function runOrder(
  conn: AcmeConnection,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<IssuedCertificate> {
  try {
    return await drive(conn, request, env);
  } catch (error) {
    throw toAcmeError(error);
  }
}

async function drive(
  conn: AcmeConnection,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<IssuedCertificate> {
  checkSolverFits(request);
  const csr = parseCsr(request.csr);
  const resumed = request.orderUrl ? await resumable(conn, request, env) : undefined;
  if (resumed) {
    const issued = await complete(conn, resumed, csr, request, env);
    if (issued) return { ...issued, resumed: true };
    env.logger?.info('the resumed order was finalized for another key; creating a new order', {
      order: resumed.url,
    });
  }
  await request.onIntent();
  const order = await createOrder(conn, request);
  await request.onOrderCreated(order.url);
  const issued = await complete(conn, order, csr, request, env);
  if (!issued) {
    throw new AcmeError({
      type: LocalErrorType.keyMismatch,
      detail: `order ${order.url} returned a certificate for another key than the CSR's`,
      url: order.url,
    });
  }
  return { ...issued, resumed: false };
}

function checkSolverFits(request: OrderRequest): void {
  const wildcard = request.dnsNames.find((name) => name.startsWith('*.'));
  if (wildcard && request.solver.type !== 'dns-01') {
    throw new AcmeError({
      type: LocalErrorType.unsupportedChallenge,
      detail: `${wildcard} is a wildcard name: only the dns01 solver can validate it`,
    });
  }
}

/** The recorded order if it can still lead to this certificate, else undefined. */
async function resumable(
  conn: AcmeConnection,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<Order | undefined> {
  const url = request.orderUrl ?? '';
  let order: Order;
  try {
    order = (await conn.getOrder(url)).value;
  } catch (error) {
    // Gone (expired, CA reset) or another account's (the e-mail changed): nothing to resume.
    if (
      error instanceof AcmeError &&
      (error.status === 404 || error.status === 403 || error.code === 'unauthorized')
    ) {
      env.logger?.info('the recorded ACME order cannot be resumed; creating a new one', {
        order: url,
        reason: error.detail,
      });
      return undefined;
    }
    throw error;
  }
  if (!sameNames(order, request.dnsNames)) {
    env.logger?.info('the recorded ACME order is for other names; creating a new one', { order: url });
    return undefined;
  }
  if (order.status === 'invalid') {
    // Its failure was reported when it happened; this is a new attempt.
    env.logger?.info('the recorded ACME order is invalid; creating a new one', { order: url });
    return undefined;
  }
  return order;
}

async function createOrder(conn: AcmeConnection, request: OrderRequest): Promise<Order> {
  const identifiers = [...new Set(request.dnsNames)].map((value) => ({ type: 'dns', value }));
  const fields = { identifiers, ...(request.profile ? { profile: request.profile } : {}) };
  if (!request.replaces) return conn.newOrder(fields);
  try {
    return await conn.newOrder({ ...fields, replaces: request.replaces });
  } catch (error) {
    // `replaces` is a hint (RFC 9773 §5): a server that refuses it (unknown, already replaced,
    // another account) still issues without it. A refused newOrder created nothing.
    if (error instanceof AcmeError && refusesReplaces(error)) return conn.newOrder(fields);
    throw error;
  }
}

function refusesReplaces(error: AcmeError): boolean {
  return error.status === 409 || ['malformed', 'unauthorized', 'alreadyReplaced'].includes(error.code);
}

/** Drives the order to valid; undefined when the certificate is not for the CSR's key. */
async function complete(
  conn: AcmeConnection,
  initial: Order,
  csr: ParsedCsr,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<(SplitChain & { orderUrl: string }) | undefined> {
  let order = initial;
  let reported: OrderStatus | undefined;
  /** The answer to finalize, whose Retry-After the wait for "processing" starts from. */
  let finalized: Polled<Order> | undefined;
  // Answers published by the interrupted run may outlive their validated authorizations.
  if (resumed(order, request) && order.status !== 'pending') {
    await cleanupValidated(conn, order, request, env);
  }
  for (;;) {
    throwIfAborted(request.signal);
    if (order.status !== reported) {
      reported = order.status;
      await request.onOrderState?.(order.status);
    }
    switch (order.status) {
      case 'pending':
        await solveAuthorizations(conn, order, request, env);
        order = await waitForOrder(conn, order.url, ['pending'], request, env);
        break;
      case 'ready':
        finalized = await conn.finalize(order, csr.pem);
        order = finalized.value;
        // A server still saying "ready" has not taken the CSR in yet; never finalize twice.
        if (order.status === 'ready') {
          order = await waitForOrder(conn, order.url, ['ready'], request, env, finalized);
        }
        break;
      case 'processing':
        order = await waitForOrder(conn, order.url, ['processing'], request, env, finalized);
        break;
      case 'valid': {
        const chain = splitChain(await conn.certificate(order, request.preferredChain));
        if (!certificateHasKey(chain.leafPem, csr.publicKey)) return undefined;
        return { ...chain, orderUrl: order.url };
      }
      case 'invalid':
        throw await orderFailure(conn, order);
    }
  }
}

function waitForOrder(
  conn: AcmeConnection,
  url: string,
  from: readonly OrderStatus[],
  request: OrderRequest,
  env: OrderEnvironment,
  initial?: Polled<Order>,
): Promise<Order> {
  return pollUntil({
    what: `order ${url}`,
    fetch: () => conn.getOrder(url),
    settled: (order) => !from.includes(order.status),
    clock: env.clock,
    options: env.poll,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(initial ? { initial } : {}),
  });
}

function resumed(order: Order, request: OrderRequest): boolean {
  return order.url === request.orderUrl;
}

async function solveAuthorizations(
  conn: AcmeConnection,
  order: Order,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<void> {
  const authorizations = await Promise.all(
    order.authorizations.map(async (url) => (await conn.getAuthorization(url)).value),
  );
  const results = await Promise.allSettled(
    authorizations.map((a) =>
      a.status !== 'valid'
        ? solveOne(conn, a, request, env)
        : resumed(order, request)
          ? cleanupAnswer(conn, a, request, env)
          : Promise.resolve(),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw toAcmeError(failed.reason);
}

/**
 * A resumed order may hold authorizations validated while the previous run was gone; their
 * answers are still published (a cancelled run leaves them), so remove them now.
 */
async function cleanupValidated(
  conn: AcmeConnection,
  order: Order,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<void> {
  await Promise.all(
    order.authorizations.map(async (url) =>
      cleanupAnswer(conn, (await conn.getAuthorization(url)).value, request, env),
    ),
  );
}

async function cleanupAnswer(
  conn: AcmeConnection,
  authz: Authorization,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<void> {
  const challenge = authz.challenges.find((c) => c.type === request.solver.type);
  if (!challenge) return;
  await cleanup(request.solver, authz, challenge, await conn.keyAuthorization(challenge), env);
}

async function solveOne(
  conn: AcmeConnection,
  authz: Authorization,
  request: OrderRequest,
  env: OrderEnvironment,
): Promise<void> {
  const name = displayName(authz);
  if (authz.status !== 'pending') throw authorizationFailure(authz);
  const { solver } = request;
  const challenge = authz.challenges.find((c) => c.type === solver.type);
  if (!challenge) {
    throw new AcmeError({
      type: LocalErrorType.unsupportedChallenge,
      detail: `the server offers no ${solver.type} challenge for ${name} (offered: ${authz.challenges.map((c) => c.type).join(', ') || 'none'})`,
      url: authz.url,
    });
  }
  const keyAuthorization = await conn.keyAuthorization(challenge);
  try {
    await solverStep(`presenting the ${solver.type} challenge for ${name}`, () =>
      solver.present(authz, challenge, keyAuthorization),
    );
    // After a restart the CA may already be validating: answering twice is an error.
    if (challenge.status === 'pending') await conn.completeChallenge(challenge);
    const settled = await pollUntil({
      what: `authorization of ${name}`,
      fetch: () => conn.getAuthorization(authz.url),
      settled: (a) => a.status !== 'pending',
      clock: env.clock,
      options: env.poll,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (settled.status !== 'valid') throw authorizationFailure(settled);
  } finally {
    // Cancelled (shutdown): the CA may be validating right now, and the resumed order needs the
    // answer still there; the run that resumes it cleans up.
    if (!request.signal?.aborted) await cleanup(solver, authz, challenge, keyAuthorization, env);
  }
}

async function cleanup(
  solver: ChallengeSolver,
  authz: Authorization,
  challenge: Authorization['challenges'][number],
  keyAuthorization: string,
  env: OrderEnvironment,
): Promise<void> {
  await solver.cleanup(authz, challenge, keyAuthorization).catch((error: unknown) => {
    // A leftover token or TXT record is harmless; the certificate matters more.
    env.logger?.warn('could not clean up an ACME challenge', {
      name: displayName(authz),
      type: solver.type,
      error: error instanceof Error ? error.message : String(error),
    });
  });
}

async function solverStep(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AcmeError) throw error;
    throw new AcmeError({
      type: LocalErrorType.solver,
      detail: `${what}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

function authorizationFailure(authz: Authorization): AcmeError {
  const name = displayName(authz);
  const failed = authz.challenges.find((c) => c.error);
  if (failed?.error) return AcmeError.fromProblem(failed.error, { url: failed.url, prefix: name });
  return new AcmeError({
    type: LocalErrorType.orderInvalid,
    detail: `${name}: authorization is ${authz.status}`,
    url: authz.url,
  });
}

async function orderFailure(conn: AcmeConnection, order: Order): Promise<AcmeError> {
  for (const url of order.authorizations) {
    const authz = (await conn.getAuthorization(url).catch(() => undefined))?.value;
    if (authz && authz.status !== 'valid' && authz.challenges.some((c) => c.error))
      return authorizationFailure(authz);
  }
  if (order.error) return AcmeError.fromProblem(order.error, { url: order.url });
  return new AcmeError({
    type: LocalErrorType.orderInvalid,
    detail: `order ${order.url} is invalid`,
    url: order.url,
  });
}

function displayName(authz: Authorization): string {
  return authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
}

function sameNames(order: Order, dnsNames: readonly string[]): boolean {
  const ordered = order.identifiers.map((i) => i.value.toLowerCase()).sort();
  const wanted = [...new Set(dnsNames.map((n) => n.toLowerCase()))].sort();
  return ordered.length === wanted.length && ordered.every((n, i) => n === wanted[i]);
}

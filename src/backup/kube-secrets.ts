/**
 * The Kubernetes side of backup and restore, kept apart from the decisions: list the managed
 * Secrets, and carry out a restore plan with create/update calls. Reads and writes only Secrets
 * (and creates a missing namespace).
 */
import { ACME_ACCOUNT_LABEL, CERTIFICATE_NAME_LABEL } from '../api/v1alpha1/labels.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { isNotFound } from '../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../runtime/kube/resource.js';
import { secretKind, toBackedUp, type BackedUpSecret, type SecretObject } from './archive.js';
import { mergedForOverwrite, restoreDecision, type RestoreDecision } from './restore-plan.js';

type Secret = KubeObject & SecretObject;

const SELECTORS = [CERTIFICATE_NAME_LABEL, `${ACME_ACCOUNT_LABEL}=true`];
const PAGE = 500;

async function listAll(
  client: KubeClient,
  namespace: string | undefined,
  labelSelector: string,
): Promise<Secret[]> {
  const items: Secret[] = [];
  let next: string | undefined;
  do {
    const page = await client.list<Secret>(CoreTypes.secret, namespace, {
      labelSelector,
      limit: PAGE,
      continue: next,
    });
    items.push(...page.items);
    next = page.metadata.continue || undefined;
  } while (next);
  return items;
}

/**
 * Every certificate Secret and ACME account Secret, in the given namespaces or (none given) in
 * all of them.
 */
export async function listManagedSecrets(
  client: KubeClient,
  namespaces: readonly string[],
): Promise<Secret[]> {
  const scopes = namespaces.length > 0 ? namespaces : [undefined];
  const found = new Map<string, Secret>();
  for (const namespace of scopes) {
    for (const selector of SELECTORS) {
      for (const secret of await listAll(client, namespace, selector)) {
        found.set(`${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`, secret);
      }
    }
  }
  return [...found.values()];
}

export interface RestoreResult {
  readonly secret: BackedUpSecret;
  readonly decision: RestoreDecision;
  /** Set when writing failed; the other Secrets are still restored. */
  readonly error?: string;
}

function body(secret: BackedUpSecret, resourceVersion?: string): Secret {
  return {
    metadata: {
      name: secret.name,
      namespace: secret.namespace,
      labels: { ...secret.labels },
      annotations: { ...secret.annotations },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: secret.type,
    data: { ...secret.data },
  };
}

async function ensureNamespace(client: KubeClient, namespace: string, created: Set<string>): Promise<void> {
  if (created.has(namespace)) return;
  try {
    await client.get(CoreTypes.namespace, undefined, namespace);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  }
  created.add(namespace);
}

async function readExisting(client: KubeClient, secret: BackedUpSecret): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(CoreTypes.secret, secret.namespace, secret.name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function write(
  client: KubeClient,
  secret: BackedUpSecret,
  existing: Secret | undefined,
  checked: Set<string>,
) {
  if (!existing) {
    await ensureNamespace(client, secret.namespace, checked);
    await client.create(CoreTypes.secret, body(secret));
    return;
  }
  const merged = mergedForOverwrite(secret, toBackedUp(existing));
  if ((existing.type ?? 'Opaque') === merged.type) {
    // The resourceVersion makes this a compare-and-swap: a Secret changed meanwhile is not clobbered.
    await client.update(CoreTypes.secret, body(merged, existing.metadata.resourceVersion));
    return;
  }
  // A Secret's type is immutable: replace the object.
  await client.delete(CoreTypes.secret, secret.namespace, secret.name);
  await client.create(CoreTypes.secret, body(merged));
}

/**
 * Restores each Secret by its decision; `dryRun` only decides. Account Secrets go first, so a
 * controller that sees a restored certificate also finds its account.
 */
export async function restoreSecrets(
  client: KubeClient,
  secrets: readonly BackedUpSecret[],
  options: { force: boolean; now: Date; dryRun?: boolean },
): Promise<RestoreResult[]> {
  const results: RestoreResult[] = [];
  const checked = new Set<string>();
  const rank = (secret: BackedUpSecret): number => (secretKind(secret.labels) === 'acme-account' ? 0 : 1);
  for (const secret of [...secrets].sort((a, b) => rank(a) - rank(b))) {
    let decision: RestoreDecision | undefined;
    try {
      const existing = await readExisting(client, secret);
      decision = restoreDecision(secret, existing ? toBackedUp(existing) : undefined, options);
      if (!options.dryRun && (decision.action === 'create' || decision.action === 'overwrite')) {
        await write(client, secret, existing, checked);
      }
      results.push({ secret, decision });
    } catch (error) {
      results.push({
        secret,
        decision: decision ?? { action: 'keep', reason: 'could not be read' },
        error: (error as Error).message,
      });
    }
  }
  return results;
}

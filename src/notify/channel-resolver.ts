/**
 * A NotificationChannel with the Secret values it refers to: read from the API when needed and
 * kept a short while (so a rotated key is used within SECRET_TTL_MS without watching every Secret
 * in the cluster). What is wrong — a missing Secret or key — comes back as a sentence naming the
 * Secret and key, never a value.
 */
import type { NotificationChannel } from '../api/v1alpha1/index.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { KubeClient } from '../runtime/kube/client.js';
import { isNotFound } from '../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../runtime/kube/resource.js';
import { secretRefs, type ResolvedChannel, type SecretKeyRef } from './channels/channel.js';

export const SECRET_TTL_MS = 30_000;

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export type Resolution =
  { readonly ok: true; readonly channel: ResolvedChannel } | { readonly ok: false; readonly problem: string };

export type SecretReader = (
  namespace: string,
  name: string,
) => Promise<Readonly<Record<string, string>> | undefined>;

/** Reads Secrets through the API, decoded; undefined when the Secret does not exist. */
export function apiSecretReader(client: Pick<KubeClient, 'get'>): SecretReader {
  return async (namespace, name) => {
    try {
      const secret = await client.get<SecretObject>(CoreTypes.secret, namespace, name);
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(secret.data ?? {}))
        out[key] = Buffer.from(value, 'base64').toString('utf8');
      return out;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}

export class ChannelResolver {
  private readonly cache = new Map<string, { at: number; data: Readonly<Record<string, string>> }>();
  private readonly clock: Clock;

  constructor(
    private readonly read: SecretReader,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  async resolve(channel: NotificationChannel): Promise<Resolution> {
    const namespace = channel.metadata.namespace ?? '';
    const key = `${namespace}/${channel.metadata.name ?? ''}`;
    const values = new Map<string, string>();
    for (const ref of secretRefs(channel.spec)) {
      let data: Readonly<Record<string, string>> | undefined;
      try {
        data = await this.secret(namespace, ref.name);
      } catch (error) {
        return {
          ok: false,
          problem: `reading Secret ${namespace}/${ref.name} failed: ${(error as Error).message}`,
        };
      }
      if (!data) return { ok: false, problem: `Secret ${namespace}/${ref.name} does not exist` };
      const value = data[ref.key];
      if (value === undefined || value === '') {
        return { ok: false, problem: `Secret ${namespace}/${ref.name} has no entry "${ref.key}"` };
      }
      values.set(refKey(ref), value);
    }
    const secretValues = [...values.values()];
    return {
      ok: true,
      channel: {
        key,
        spec: channel.spec,
        secretValues,
        secret(ref) {
          const value = values.get(refKey(ref));
          if (value === undefined) throw new Error(`Secret entry ${ref.name}/${ref.key} was not resolved`);
          return value;
        },
      },
    };
  }

  /** Forget cached Secrets (after a Secret changed, or in tests). */
  forget(): void {
    this.cache.clear();
  }

  private async secret(
    namespace: string,
    name: string,
  ): Promise<Readonly<Record<string, string>> | undefined> {
    const id = `${namespace}/${name}`;
    const now = this.clock.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < SECRET_TTL_MS) return cached.data;
    const data = await this.read(namespace, name);
    // A missing Secret is read again next time: once someone creates it, the next attempt uses it.
    if (data) this.cache.set(id, { at: now, data });
    else this.cache.delete(id);
    return data;
  }
}

function refKey(ref: SecretKeyRef): string {
  return `${ref.name}\0${ref.key}`;
}

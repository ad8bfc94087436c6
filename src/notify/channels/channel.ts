/**
 * A channel as the sender uses it: the spec, and the Secret values it refers to, read just before
 * sending. A transport per channel type turns a message into a request to the receiver and
 * reports how the attempt ended; the registry in transports.ts maps each type to its transport.
 */
import type { NotificationChannelSpec } from '../../api/v1alpha1/index.js';
import type { AttemptResult } from '../../domain/notify/delivery-policy.js';
import type { NotificationMessage } from '../../domain/notify/message.js';

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

export interface ResolvedChannel {
  /** namespace/name */
  readonly key: string;
  readonly spec: NotificationChannelSpec;
  /** The value of a Secret entry the spec refers to (resolution checked they all exist). */
  secret(ref: SecretKeyRef): string;
  /** Every Secret value in use, so error messages can be scrubbed of them. */
  readonly secretValues: readonly string[];
}

export interface SendContext {
  readonly signal: AbortSignal;
  readonly now: () => number;
}

export interface Transport {
  send(message: NotificationMessage, channel: ResolvedChannel, context: SendContext): Promise<AttemptResult>;
}

/** Replaces every Secret value (and its URL-encoded form) in a message by [redacted]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      out = out.split(form).join('[redacted]');
  }
  return out;
}

/** Every Secret entry a spec refers to. */
export function secretRefs(spec: NotificationChannelSpec): SecretKeyRef[] {
  const refs: (SecretKeyRef | undefined)[] = [
    spec.webhook?.urlSecretRef,
    spec.webhook?.hmacSecretRef,
    spec.slack?.urlSecretRef,
    spec.msteams?.urlSecretRef,
    spec.pagerduty?.routingKeySecretRef,
  ];
  const auth = spec.email?.authSecretRef;
  if (auth) refs.push({ name: auth.name, key: auth.usernameKey }, { name: auth.name, key: auth.passwordKey });
  return refs.filter((r): r is SecretKeyRef => r !== undefined);
}

/**
 * ACME account keys in Secrets of the operator's namespace, one per (server, e-mail), named by
 * acmeAccountSecretName and labelled so backup finds them. Created once, reused by every
 * Certificate that names the same server and e-mail.
 */
import {
  ACME_ACCOUNT_LABEL,
  AcmeAccountAnnotations,
  acmeAccountSecretName,
} from '../../api/v1alpha1/labels.js';
import type { AccountIdentity, AccountKeyStore, StoredAccount } from '../../acme/index.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';

const KEY = 'account.key';
const URL_KEY = 'account-url';

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const text = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export class SecretAccountKeyStore implements AccountKeyStore {
  constructor(
    private readonly client: Pick<KubeClient, 'get' | 'apply'>,
    private readonly namespace: string,
  ) {}

  async load(identity: AccountIdentity): Promise<StoredAccount | undefined> {
    try {
      const secret = await this.client.get<Secret>(CoreTypes.secret, this.namespace, this.name(identity));
      const privateKeyPem = text(secret.data?.[KEY]);
      if (!privateKeyPem) return undefined;
      const url = text(secret.data?.[URL_KEY]);
      return url ? { privateKeyPem, url } : { privateKeyPem };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async save(identity: AccountIdentity, account: StoredAccount): Promise<void> {
    await this.client.apply<Secret>(CoreTypes.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.name(identity),
        namespace: this.namespace,
        labels: { [ACME_ACCOUNT_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'gateway-worker' },
        annotations: {
          [AcmeAccountAnnotations.server]: identity.server,
          [AcmeAccountAnnotations.email]: identity.email ?? '',
        },
      },
      type: 'Opaque',
      data: { [KEY]: b64(account.privateKeyPem), ...(account.url ? { [URL_KEY]: b64(account.url) } : {}) },
    });
  }

  private name(identity: AccountIdentity): string {
    return acmeAccountSecretName(identity.server, identity.email);
  }
}

import { stringify } from 'yaml';

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

export type KubeconfigCredentials =
  { readonly clientCertPem: string; readonly clientKeyPem: string } | { readonly token: string };

/** A kubeconfig document with one cluster, one user and one current context. */
export function kubeconfigYaml(
  server: string,
  caPem: string,
  user: string,
  credentials: KubeconfigCredentials,
): string {
  const userEntry =
    'token' in credentials
      ? { token: credentials.token }
      : {
          'client-certificate-data': b64(credentials.clientCertPem),
          'client-key-data': b64(credentials.clientKeyPem),
        };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'envtest', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: `${user}@envtest`, context: { cluster: 'envtest', user } }],
    'current-context': `${user}@envtest`,
  });
}

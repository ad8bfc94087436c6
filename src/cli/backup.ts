/**
 * `gateway-worker backup --out FILE`: writes every managed certificate Secret and every ACME
 * account Secret into one passphrase-encrypted file. Flags, files and printing only: the format
 * is in src/backup.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createArchive, secretKind, serializeArchive } from '../backup/archive.js';
import {
  PASSPHRASE_ENV,
  UsageError,
  defaultKubeConfig,
  parseFlags,
  readPassphrase,
} from '../backup/cli-support.js';
import { encryptBackup, MIN_PASSPHRASE_LENGTH, type ScryptParameters } from '../backup/encryption.js';
import { listManagedSecrets } from '../backup/kube-secrets.js';
import { KubeClient } from '../runtime/kube/client.js';
import { recordCliAudit } from './audit-cli-record.js';
import type { Output } from './main.js';

const USAGE = [
  'Usage: gateway-worker backup --out FILE [--namespace NS ...] [--passphrase-file FILE]',
  '',
  'Saves every certificate Secret (label gateway.awesomeapi.com.br/certificate-name) and every',
  'ACME account Secret (label gateway.awesomeapi.com.br/acme-account=true) into FILE, encrypted',
  'with a passphrase (scrypt N=2^17 r=8 p=1, AES-256-GCM). Restore with gateway-worker restore.',
  '',
  'Options:',
  '  --out FILE              the backup file to write (mode 0600, replaced atomically)',
  '  --namespace NS          only this namespace; repeat for several (default: all). Include the',
  "                          operator's namespace: the ACME account keys live there",
  '  --passphrase-file FILE  read the passphrase from FILE (a trailing newline is ignored)',
  '',
  `The passphrase comes from --passphrase-file or ${PASSPHRASE_ENV}, never from the command`,
  `line, and has at least ${MIN_PASSPHRASE_LENGTH} characters. The cluster is KUBECONFIG's, ~/.kube/config's, or`,
  "the pod's own when run in a cluster.",
  '',
].join('\n');

export interface BackupDeps {
  kubeConfig?: KubeConfig;
  now?: () => Date;
  /** Lower scrypt cost, for tests only. */
  scrypt?: ScryptParameters;
}

function writeAtomically(path: string, bytes: Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was written, or it is already gone.
    }
    throw error;
  }
}

export async function runBackup(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
  deps: BackupDeps = {},
): Promise<number> {
  let file: string;
  let namespaces: string[];
  let passphrase: string;
  try {
    const flags = parseFlags(args, { values: ['out', 'passphrase-file'], lists: ['namespace'] });
    if (flags.switches.has('help')) {
      out.stdout(USAGE);
      return 0;
    }
    const path = flags.values.out;
    if (path === undefined) throw new UsageError('--out FILE is required');
    file = path;
    namespaces = flags.lists.namespace ?? [];
    passphrase = readPassphrase(flags.values['passphrase-file'], env);
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new UsageError(`the passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`gateway-worker backup: ${error.message}\n\n${USAGE}`);
    return 2;
  }

  let client: KubeClient | undefined;
  try {
    client = new KubeClient(deps.kubeConfig ?? defaultKubeConfig());
    const secrets = await listManagedSecrets(client, namespaces);
    const archive = createArchive(secrets, deps.now?.() ?? new Date());
    writeAtomically(file, await encryptBackup(serializeArchive(archive), passphrase, deps.scrypt));
    let certificates = 0;
    let accounts = 0;
    for (const secret of archive.secrets) {
      const kind = secretKind(secret.labels) ?? 'certificate';
      if (kind === 'acme-account') accounts += 1;
      else certificates += 1;
      out.stdout(`${kind.padEnd(13)}${secret.namespace}/${secret.name}\n`);
    }
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    out.stderr(
      `backup: ${plural(certificates, 'certificate Secret')} and ${plural(accounts, 'ACME account Secret')} written to ${file}\n`,
    );
    if (accounts === 0) {
      out.stderr(
        'backup: note: no ACME account Secret found; restored certificates will renew with new accounts\n',
      );
    }
    await recordCliAudit(env, out, {
      action: 'backup',
      kind: 'Backup',
      namespace: '',
      name: basename(file),
      summary: `backup of ${plural(certificates, 'certificate Secret')} and ${plural(accounts, 'ACME account Secret')} written to ${file}`,
      details: { file, certificates, accounts, namespaces },
    });
    return 0;
  } catch (error) {
    out.stderr(`gateway-worker backup: ${(error as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

/**
 * `gateway-worker restore --in FILE`: recreates the Secrets of a backup. Idempotent; a newer
 * certificate or an existing account key in the cluster is kept unless --force. Prints one line
 * per Secret (names only, never key material). Flags, files and printing only: the decisions
 * are in src/backup/restore-plan.ts.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseArchive, secretKind } from '../backup/archive.js';
import {
  PASSPHRASE_ENV,
  UsageError,
  defaultKubeConfig,
  parseFlags,
  readPassphrase,
} from '../backup/cli-support.js';
import { decryptBackup } from '../backup/encryption.js';
import { restoreSecrets, type RestoreResult } from '../backup/kube-secrets.js';
import type { RestoreAction } from '../backup/restore-plan.js';
import { KubeClient } from '../runtime/kube/client.js';
import { recordCliAudit } from './audit-cli-record.js';
import type { Output } from './main.js';

const USAGE = [
  'Usage: gateway-worker restore --in FILE [--force] [--dry-run] [--passphrase-file FILE]',
  '',
  'Recreates the certificate and ACME account Secrets saved by gateway-worker backup. Running it',
  'again changes nothing. A Secret that exists is left alone when the cluster holds the same or a',
  'newer certificate, a different ACME account key, or is not managed by gateway-worker.',
  '',
  'Options:',
  '  --in FILE               the backup file',
  '  --force                 overwrite what exists, newer or not',
  '  --dry-run               print what would be done; change nothing',
  '  --passphrase-file FILE  read the passphrase from FILE (a trailing newline is ignored)',
  '',
  `The passphrase comes from --passphrase-file or ${PASSPHRASE_ENV}, never from the command`,
  "line. The cluster is KUBECONFIG's, ~/.kube/config's, or the pod's own when run in a cluster.",
  'Exit code 1 when the file cannot be read or decrypted or a Secret could not be written.',
  '',
].join('\n');

export interface RestoreDeps {
  kubeConfig?: KubeConfig;
  now?: () => Date;
}

const VERBS: Record<RestoreAction, [done: string, planned: string]> = {
  create: ['created', 'would create'],
  overwrite: ['overwrote', 'would overwrite'],
  unchanged: ['unchanged', 'unchanged'],
  keep: ['kept', 'would keep'],
};

function line(result: RestoreResult, dryRun: boolean): string {
  const { secret, decision, error } = result;
  const kind = secretKind(secret.labels) ?? 'secret';
  const what = `${kind} ${secret.namespace}/${secret.name}`;
  if (error !== undefined) return `failed     ${what}: ${error}\n`;
  const verb = VERBS[decision.action][dryRun ? 1 : 0];
  const why = decision.action === 'keep' || decision.action === 'overwrite' ? `: ${decision.reason}` : '';
  return `${verb.padEnd(10)} ${what}${why}\n`;
}

export async function runRestore(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
  deps: RestoreDeps = {},
): Promise<number> {
  let file: string;
  let passphrase: string;
  let force: boolean;
  let dryRun: boolean;
  try {
    const flags = parseFlags(args, { values: ['in', 'passphrase-file'], switches: ['force', 'dry-run'] });
    if (flags.switches.has('help')) {
      out.stdout(USAGE);
      return 0;
    }
    const input = flags.values.in;
    if (input === undefined) throw new UsageError('--in FILE is required');
    file = input;
    force = flags.switches.has('force');
    dryRun = flags.switches.has('dry-run');
    passphrase = readPassphrase(flags.values['passphrase-file'], env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`gateway-worker restore: ${error.message}\n\n${USAGE}`);
    return 2;
  }

  let client: KubeClient | undefined;
  try {
    const archive = parseArchive(await decryptBackup(readFileSync(file), passphrase));
    client = new KubeClient(deps.kubeConfig ?? defaultKubeConfig());
    const results = await restoreSecrets(client, archive.secrets, {
      force,
      dryRun,
      now: deps.now?.() ?? new Date(),
    });
    const counts = new Map<string, number>();
    for (const result of results) {
      out.stdout(line(result, dryRun));
      const key = result.error === undefined ? VERBS[result.decision.action][dryRun ? 1 : 0] : 'failed';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const summary = [...counts].map(([verb, n]) => `${n} ${verb}`).join(', ') || 'nothing to restore';
    out.stderr(`restore: ${summary} (backup of ${archive.createdAt})\n`);
    if (!dryRun) {
      await recordCliAudit(env, out, {
        action: 'restore',
        kind: 'Backup',
        namespace: '',
        name: basename(file),
        summary: `restore from ${file}: ${summary}`,
        details: { file, createdAt: archive.createdAt, force, outcomes: Object.fromEntries(counts) },
      });
    }
    return results.some((r) => r.error !== undefined) ? 1 : 0;
  } catch (error) {
    out.stderr(`gateway-worker restore: ${file}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

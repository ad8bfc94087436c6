/**
 * What `backup` and `restore` share on the command line: flag parsing, where the passphrase
 * comes from (a file or the environment, never argv, where `ps` would show it) and the
 * Kubernetes connection.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export const PASSPHRASE_ENV = 'GATEWAY_WORKER_BACKUP_PASSPHRASE';

export class UsageError extends Error {}

export interface FlagSpec {
  /** Flags that take a value; the last one given wins. */
  readonly values: readonly string[];
  /** Flags that take a value and may be repeated. */
  readonly lists?: readonly string[];
  /** Flags without a value. */
  readonly switches?: readonly string[];
}

export interface ParsedFlags {
  readonly values: Record<string, string>;
  readonly lists: Record<string, string[]>;
  readonly switches: Set<string>;
}

/** `--name value`, `--name=value` and switches; anything else is a UsageError. */
export function parseFlags(args: readonly string[], spec: FlagSpec): ParsedFlags {
  const parsed: ParsedFlags = { values: {}, lists: {}, switches: new Set() };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') {
      parsed.switches.add('help');
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'passphrase') {
      throw new UsageError(
        `a passphrase on the command line is visible to other users; use --passphrase-file FILE or ${PASSPHRASE_ENV}`,
      );
    }
    if (spec.switches?.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      parsed.switches.add(name);
      continue;
    }
    const isList = spec.lists?.includes(name) ?? false;
    if (!isList && !spec.values.includes(name)) throw new UsageError(`unknown argument "${arg}"`);
    const value = inline ?? args[(i += 1)];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    if (isList) (parsed.lists[name] ??= []).push(value);
    else parsed.values[name] = value;
  }
  return parsed;
}

/**
 * The passphrase from --passphrase-file (one trailing newline dropped, as editors and `echo`
 * add one) or from the environment; a UsageError when neither is set.
 */
export function readPassphrase(file: string | undefined, env: NodeJS.ProcessEnv): string {
  let passphrase: string | undefined;
  if (file !== undefined) {
    try {
      passphrase = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`cannot read the passphrase file: ${(error as Error).message}`);
    }
  } else {
    passphrase = env[PASSPHRASE_ENV];
  }
  if (passphrase === undefined || passphrase === '') {
    throw new UsageError(`no passphrase: use --passphrase-file FILE or set ${PASSPHRASE_ENV}`);
  }
  return passphrase;
}

/** KUBECONFIG, else ~/.kube/config, else the in-cluster service account: what kubectl and the operator use. */
export function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/**
 * `gateway-worker rollback wafruleset/NAME [--to-revision N] [-n NAMESPACE]`: puts the spec of a
 * stored revision back into the WafRuleSet, the way `kubectl rollout undo` does for a
 * Deployment. It rewrites the spec, so a GitOps tool shows the difference from Git instead of
 * the cluster silently drifting; the controller then serves that revision again.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { WafRuleSetResource, type WafRuleSet, statusOf } from '../api/v1alpha1/index.js';
import {
  RULE_SET_LABEL,
  byRevision,
  parseRevision,
  storedSpec,
} from '../controllers/wafruleset/revisions.js';
import { ApiError, isConflict } from '../runtime/kube/errors.js';
import { KubeClient } from '../runtime/kube/client.js';
import { CoreTypes, type ConfigMap } from '../runtime/kube/resource.js';
import { isOwnedBy } from '../runtime/objects/owner-references.js';
import { recordCliAudit } from './audit-cli-record.js';
import type { Output } from './main.js';

const USAGE =
  'Usage: gateway-worker rollback wafruleset/NAME [--to-revision N] [-n NAMESPACE]\n' +
  '  Without --to-revision, returns to the revision before the one in service.\n';

interface Args {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly toRevision: number | undefined;
}

function parseArgs(args: readonly string[]): Args | string {
  let target: string | undefined;
  let namespace: string | undefined;
  let toRevision: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const value = (): string | undefined => args[++i];
    if (arg === '--to-revision') {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 1) return '--to-revision needs a revision number (1 or more)';
      toRevision = n;
    } else if (arg === '-n' || arg === '--namespace') {
      namespace = value();
      if (!namespace) return `${arg} needs a namespace`;
    } else if (!arg.startsWith('-') && target === undefined) {
      target = arg;
    } else {
      return `unknown argument "${arg}"`;
    }
  }
  const match = target ? /^(wafruleset|wafrulesets|waf)\/([a-z0-9.-]+)$/.exec(target) : null;
  if (!match?.[2]) return 'name the rule set as wafruleset/NAME (only WafRuleSets keep revisions)';
  return { name: match[2], namespace, toRevision };
}

export async function runRollback(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    out.stdout(USAGE);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    out.stderr(`gateway-worker rollback: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const config = kubeConfigFrom(env);
  const namespace = parsed.namespace ?? contextNamespace(config);
  const client = new KubeClient(config);
  try {
    // The operator writes status all the time: on a conflict, read again and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        const code = await rollbackOnce(client, namespace, parsed, out);
        if (typeof code !== 'number') {
          await recordCliAudit(env, out, {
            action: 'rollback',
            kind: 'WafRuleSet',
            namespace,
            name: parsed.name,
            generation: code.generation,
            summary: `WafRuleSet ${namespace}/${parsed.name} rolled back to revision ${code.revision}`,
            details: { revision: code.revision },
          });
          return 0;
        }
        return code;
      } catch (error) {
        if (!isConflict(error) || attempt === 5) throw error;
      }
    }
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    out.stderr(`gateway-worker rollback: ${message}\n`);
    return 1;
  } finally {
    client.close();
  }
}

/** An exit code for a refusal, or what was rolled back to. */
async function rollbackOnce(
  client: KubeClient,
  namespace: string,
  parsed: Args,
  out: Output,
): Promise<number | { revision: number; generation: number }> {
  const rs = await client.get<WafRuleSet>(WafRuleSetResource, namespace, parsed.name);
  const configMaps = await client.list<ConfigMap>(CoreTypes.configMap, namespace, {
    labelSelector: `${RULE_SET_LABEL}=${parsed.name}`,
  });
  const revisions = byRevision(
    configMaps.items
      .filter((cm) => isOwnedBy(cm, rs))
      .map(parseRevision)
      .filter((r) => r !== undefined),
  );
  const current = revisions.find((r) => r.hash === statusOf(rs)?.hash);
  const target =
    parsed.toRevision === undefined
      ? revisions.find((r) => current === undefined || r.revision < current.revision)
      : revisions.find((r) => r.revision === parsed.toRevision);
  if (!target) {
    const wanted =
      parsed.toRevision === undefined ? 'earlier revision' : `revision ${String(parsed.toRevision)}`;
    const kept = revisions.map((r) => r.revision).join(', ') || 'none';
    out.stderr(
      `gateway-worker rollback: ${namespace}/${parsed.name} has no ${wanted}; stored revisions: ${kept}\n`,
    );
    return 1;
  }
  const spec = storedSpec(target.configMap);
  if (!spec) {
    out.stderr(
      `gateway-worker rollback: revision ${target.revision} has no readable spec in ConfigMap ${target.name}\n`,
    );
    return 1;
  }
  // The update carries the resourceVersion just read, so a concurrent edit is never overwritten.
  const updated = await client.update<WafRuleSet>(WafRuleSetResource, { ...rs, spec });
  out.stdout(
    `wafruleset.gateway.awesomeapi.com.br/${parsed.name} rolled back to revision ${target.revision}\n`,
  );
  return { revision: target.revision, generation: updated.metadata.generation ?? 0 };
}

/** KUBECONFIG from the given environment, else in-cluster or ~/.kube/config, as kubectl does. */
function kubeConfigFrom(env: NodeJS.ProcessEnv): KubeConfig {
  const config = new KubeConfig();
  if (env.KUBECONFIG) config.loadFromFile(env.KUBECONFIG);
  else config.loadFromDefault();
  return config;
}

function contextNamespace(config: KubeConfig): string {
  return config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
}

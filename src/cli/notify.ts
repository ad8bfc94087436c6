/**
 * `gateway-worker notify test CHANNEL [-n NAMESPACE]`: sends one test message through a
 * NotificationChannel, with its Secrets read from the cluster (the current kubeconfig context),
 * and says whether the receiver accepted it. Exit code 0 when it did, 1 when it did not (the
 * receiver's answer is printed, Secret values scrubbed), 2 for bad arguments.
 * `gateway-worker notify dead-letters` is in notify-dead-letters.ts.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { NotificationChannelResource, type NotificationChannel } from '../api/v1alpha1/index.js';
import { apiSecretReader, ChannelResolver } from '../notify/channel-resolver.js';
import { TRANSPORTS } from '../notify/channels/transports.js';
import { sendTest } from '../notify/send-test.js';
import { isNotFound } from '../runtime/kube/errors.js';
import { KubeClient } from '../runtime/kube/client.js';
import type { Output } from './main.js';
import { DEAD_LETTERS_USAGE, runDeadLetters } from './notify-dead-letters.js';

const USAGE =
  'Usage: gateway-worker notify <command>\n' +
  '  test CHANNEL [-n NAMESPACE]\n' +
  '    Sends a test message through the NotificationChannel CHANNEL and reports whether it was accepted.\n' +
  DEAD_LETTERS_USAGE;

interface Args {
  readonly name: string;
  readonly namespace: string | undefined;
}

function parseArgs(args: readonly string[]): Args | string {
  const [sub, ...rest] = args;
  if (sub !== 'test')
    return sub === undefined
      ? 'name a subcommand: test, dead-letters'
      : `unknown subcommand "${sub}"; allowed: test, dead-letters`;
  let name: string | undefined;
  let namespace: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '-n' || arg === '--namespace') {
      namespace = rest[++i];
      if (!namespace) return `${arg} needs a namespace`;
    } else if (!arg.startsWith('-') && name === undefined) {
      name = arg.replace(/^(notificationchannel|notificationchannels|gwchannel)\//, '');
    } else return `unknown argument "${arg}"`;
  }
  if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    return 'name the channel: a NotificationChannel name (lower-case letters, digits, "-" and ".")';
  return { name, namespace };
}

export async function runNotify(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    out.stdout(USAGE);
    return 0;
  }
  if (args[0] === 'dead-letters')
    return runDeadLetters(args.slice(1), env, out, (problem) => {
      out.stderr(`gateway-worker notify dead-letters: ${problem}\n\n${USAGE}`);
      return 2;
    });
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    out.stderr(`gateway-worker notify: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const config = new KubeConfig();
  if (env.KUBECONFIG) config.loadFromFile(env.KUBECONFIG);
  else config.loadFromDefault();
  const namespace =
    parsed.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  const client = new KubeClient(config);
  let channel: NotificationChannel;
  try {
    channel = await client.get<NotificationChannel>(NotificationChannelResource, namespace, parsed.name);
  } catch (error) {
    if (isNotFound(error)) {
      out.stderr(
        `gateway-worker notify test: NotificationChannel ${namespace}/${parsed.name} does not exist\n`,
      );
      return 1;
    }
    out.stderr(
      `gateway-worker notify test: reading NotificationChannel ${namespace}/${parsed.name} failed: ${(error as Error).message}\n`,
    );
    return 1;
  }
  const outcome = await sendTest(channel, new ChannelResolver(apiSecretReader(client)), TRANSPORTS);
  const target = `${namespace}/${parsed.name} (${channel.spec.type})`;
  if (outcome.ok) {
    out.stdout(`test notification sent through ${target}: accepted\n`);
    return 0;
  }
  out.stderr(
    `gateway-worker notify test: ${target} did not accept the test notification: ${outcome.error}\n`,
  );
  return 1;
}

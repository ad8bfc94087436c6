import { readFileSync } from 'node:fs';

export const COMMANDS = {
  operator: 'run the Kubernetes operator (the default)',
  agent: 'run the reference gateway agent',
  validate: 'validate manifests offline: validate -f PATH',
  backup: 'save certificate and ACME account Secrets to an encrypted file: backup --out FILE',
  restore: 'recreate those Secrets from a backup: restore --in FILE',
  rollback: 'return a resource to an earlier applied version',
  waf: "test WAF rule sets on requests, import the gateway's rule file: waf test|import",
  routes: "import the gateway's upstream section and Ingresses as RouteConfigs: routes import",
  jobs: 'list, show, run and cancel background jobs: jobs list|show|run|cancel',
  audit: 'check the audit trail and export it: audit verify|export',
  analytics: 'traffic analytics as tables: analytics top|latency',
  db: "the gateway's database: db plan|repair (migrations), db backups|restore",
  notify: 'notifications: notify test CHANNEL [-n NAMESPACE]; notify dead-letters [--channel NS/NAME]',
  decisions:
    'list, add and delete threat decisions (bans) pushed to every gateway: decisions list|add|delete',
  incidents: 'incidents ThreatPolicy scenarios opened: incidents list|show',
  report: 'an ad-hoc report on stdout: report --since 24h|7d|30d --format html|json|csv [--namespace NS]',
} as const;

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function usage(configKeys: readonly string[]): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 3;
  const commands = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(width)}${text}`);
  return [
    'Usage: gateway-worker [command] [options]',
    '',
    'Commands:',
    ...commands,
    '',
    'Options:',
    '  -h, --help     show this help',
    '  --version      print the version',
    '',
    'Configuration comes from environment variables, over the YAML file named by CONFIG_FILE:',
    `  ${configKeys.join(', ')}`,
    '',
  ].join('\n');
}

/** The package version; src/cli and dist/cli both sit two folders below package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `--name value` flags of the audit and analytics commands, with one-line errors. */

export interface ParsedFlags {
  readonly positional: string[];
  readonly values: ReadonlyMap<string, string>;
}

export function parseValueFlags(args: readonly string[], allowed: readonly string[]): ParsedFlags | string {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg.startsWith('--')) {
      const [flag = '', inline] = arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg];
      if (!allowed.includes(flag))
        return `unknown option "${flag}"; allowed: ${allowed.join(', ') || 'none'}`;
      const value = inline ?? args[++i];
      if (value === undefined) return `${flag} needs a value`;
      values.set(flag, value);
    } else if (arg.startsWith('-') && arg !== '-') {
      return `unknown option "${arg}"`;
    } else {
      positional.push(arg);
    }
  }
  return { positional, values };
}

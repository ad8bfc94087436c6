/**
 * A configuration mistake the operator of the program must fix. The message is one line so it
 * reads well in `kubectl logs` and in a CrashLoopBackOff event; the CLI exits with code 2.
 */
export class ConfigError extends Error {
  constructor(detail: string) {
    super(`invalid configuration: ${detail.replace(/\s*[\r\n]+\s*/g, ' ').trim()}`);
    this.name = 'ConfigError';
  }
}

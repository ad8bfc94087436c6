import { createHook } from 'node:async_hooks';
import { stopSharedCluster } from './shared-cluster.js';
import { stopSharedPostgres } from './shared-postgres.js';

/** How long the run may take to exit once every test and hook is done. */
const EXIT_GRACE_MS = 60_000;

/** With LEAK_TRACE=1, where each live timer was created, so a leaked one can be named. */
const timerOrigins = new Map<number, { resource: { hasRef?(): boolean }; stack: string }>();
if (process.env.LEAK_TRACE === '1') {
  createHook({
    init(id, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const stack = (new Error().stack ?? '').split('\n').slice(3, 9).join('\n');
      timerOrigins.set(id, { resource, stack });
    },
    destroy(id) {
      timerOrigins.delete(id);
    },
  }).enable();
}

/**
 * Mocha runs without --exit so that a socket, timer or child a test leaves behind shows up; but
 * a leaked handle must fail the run in a minute, naming itself, not hang CI until its deadline.
 */
function failIfStillRunning(): void {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    // The run's own stdout and stderr are sockets when piped; they keep nothing alive.
    const leaked = handles.filter((handle) => handle !== process.stdout && handle !== process.stderr);
    const described = leaked.map((handle) => {
      const socket = handle as { localPort?: number; remotePort?: number };
      const ports = socket.remotePort ? ` 127.0.0.1:${socket.localPort} <- :${socket.remotePort}` : '';
      return `  ${handle.constructor.name}${ports}`;
    });
    // Timers are not handles since Node 11; this lists them (and pending requests) by kind.
    const resources = process.getActiveResourcesInfo().join(', ');
    process.stderr.write(
      `the test run did not exit ${EXIT_GRACE_MS / 1000} s after its last test; still open:\n` +
        `${described.join('\n')}\n  resources: ${resources}\n`,
    );
    for (const { resource, stack } of timerOrigins.values()) {
      if (resource.hasRef?.() !== false) process.stderr.write(`  timer created at\n${stack}\n`);
    }
    if (timerOrigins.size === 0)
      process.stderr.write('  (LEAK_TRACE=1 names where live timers were created)\n');
    // Mocha's own exit listener sets the exit code to the number of failures; this one runs after it.
    process.on('exit', () => (process.exitCode = 1));
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await Promise.all([stopSharedCluster(), stopSharedPostgres()]);
    failIfStillRunning();
  },
};

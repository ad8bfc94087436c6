import { stopSharedCluster } from './shared-cluster.js';
import { stopSharedPostgres } from './shared-postgres.js';

/** How long the run may take to exit once every test and hook is done. */
const EXIT_GRACE_MS = 60_000;

/**
 * Mocha runs without --exit so that a socket, timer or child a test leaves behind shows up; but
 * a leaked handle must fail the run in a minute, naming itself, not hang CI until its deadline.
 */
function failIfStillRunning(): void {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    const described = handles.map((handle) => {
      const socket = handle as { localPort?: number; remotePort?: number };
      const ports = socket.remotePort ? ` 127.0.0.1:${socket.localPort} <- :${socket.remotePort}` : '';
      return `  ${handle.constructor.name}${ports}`;
    });
    process.stderr.write(
      `the test run did not exit ${EXIT_GRACE_MS / 1000} s after its last test; still open:\n${described.join('\n')}\n`,
    );
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await Promise.all([stopSharedCluster(), stopSharedPostgres()]);
    failIfStillRunning();
  },
};

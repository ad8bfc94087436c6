import { stopSharedCluster } from './shared-cluster.js';
import { stopSharedPostgres } from './shared-postgres.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await Promise.all([stopSharedCluster(), stopSharedPostgres()]);
  },
};

import { stopSharedCluster } from './shared-cluster.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedCluster();
  },
};

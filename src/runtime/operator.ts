/**
 * The process lifecycle: the health server comes up first (so probes answer while the rest
 * starts), then each component in order; shutdown reverses that, failing readiness first so
 * traffic drains before anything stops.
 */
import type { Component } from './component.js';
import type { HealthServer } from './health-server.js';
import type { Logger } from './logger.js';

export interface OperatorParts {
  health: HealthServer;
  components: readonly Component[];
  logger: Logger;
}

export class Operator {
  private readonly started: Component[] = [];
  private starting: Component | undefined;
  private stopping = false;
  private port: number | undefined;

  constructor(private readonly parts: OperatorParts) {}

  /** The port the health server bound, once started. */
  get httpPort(): number | undefined {
    return this.port;
  }

  async start(): Promise<void> {
    const { health, components, logger } = this.parts;
    this.port = await health.start();
    for (const component of components) {
      if (this.stopping) throw new Error(`stopped before ${component.name} started`);
      this.starting = component;
      logger.debug('starting component', { component: component.name });
      await component.start();
      this.started.push(component);
      this.starting = undefined;
    }
    logger.info('operator started', { components: components.map((component) => component.name) });
  }

  /** Stops everything started so far, including a component still starting; rethrows the first failure. */
  async stop(): Promise<void> {
    const { health, logger } = this.parts;
    this.stopping = true;
    health.markShuttingDown();
    const toStop = [...(this.starting ? [this.starting] : []), ...this.started.reverse()];
    this.started.length = 0;
    this.starting = undefined;

    const failures: unknown[] = [];
    for (const component of toStop) {
      try {
        await component.stop();
        logger.debug('stopped component', { component: component.name });
      } catch (err) {
        logger.error('component failed to stop', { component: component.name, err });
        failures.push(err);
      }
    }
    await health.stop();
    if (failures.length > 0) throw failures[0];
  }
}

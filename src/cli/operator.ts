/**
 * Wiring for `gateway-worker operator`: builds the pieces from the configuration and lists the
 * components in start order. New controllers are added to that list, nowhere else.
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/index.js';
import { ApiServerConnection } from '../runtime/api-server-connection.js';
import type { Component } from '../runtime/component.js';
import { CertificateResource, type Certificate } from '../api/v1alpha1/index.js';
import { cachedCertificateDirectory } from '../controllers/certificates/directory.js';
import { PushStatusRouter } from '../controllers/push-owners.js';
import { certificateController } from '../controllers/certificates/controller.js';
import { routeConfigController } from '../controllers/routeconfig/controller.js';
import { wafRuleSetController } from '../controllers/wafruleset/controller.js';
import { GatewayChannel } from '../push/channel.js';
import { EventRecorder } from '../runtime/events/recorder.js';
import { watchGateways, type Pod } from '../push/gateway-discovery.js';
import { Manager } from '../runtime/controller/manager.js';
import { CoreTypes } from '../runtime/kube/resource.js';
import { KubeClient } from '../runtime/kube/client.js';
import { LeaderElector, defaultIdentity } from '../runtime/leader-election.js';
import { HealthServer } from '../runtime/health-server.js';
import type { Logger } from '../runtime/logger.js';
import { createMetricsRegistry } from '../runtime/metrics.js';
import { Operator } from '../runtime/operator.js';
import { runUntilSignal, type RunOptions } from '../runtime/run-until-signal.js';

/** The Lease the replicas campaign for, in POD_NAMESPACE. */
export const LEASE_NAME = 'gateway-worker-leader';

export interface OperatorDeps extends RunOptions {
  /** Defaults to `loadFromDefault()`: in-cluster service account, else KUBECONFIG or ~/.kube/config. */
  kubeConfig?: KubeConfig;
  /** Interface the health server binds; all interfaces when absent. */
  httpHost?: string;
}

export function buildOperator(config: Config, logger: Logger, deps: OperatorDeps = {}): Operator {
  const kubeConfig = deps.kubeConfig ?? defaultKubeConfig();
  const registry = createMetricsRegistry();
  const health = new HealthServer({ port: config.httpPort, host: deps.httpHost, registry, logger });

  const apiServer = new ApiServerConnection(kubeConfig, logger);
  health.addReadinessCheck(apiServer.name, apiServer.readiness);

  const client = new KubeClient(kubeConfig, { registry });
  const identity = defaultIdentity(config.podName, hostname());
  const manager = new Manager({
    client,
    logger,
    registry,
    namespaces: config.watchNamespaces,
    leaderElection: config.leaderElection
      ? (callbacks) =>
          new LeaderElector({
            client,
            namespace: config.podNamespace,
            name: LEASE_NAME,
            identity,
            logger: logger.child({ component: 'leader-election' }),
            registry,
            ...callbacks,
          })
      : undefined,
  });
  health.addReadinessCheck('informers', manager.readiness);

  const certificates = manager.informer<Certificate>(CertificateResource);
  const router = new PushStatusRouter();
  const channel = new GatewayChannel({
    onStatusChange: router.route,
    client,
    namespace: config.podNamespace,
    grpcPort: config.grpcPort,
    registry,
    logger,
    certificates: cachedCertificateDirectory(certificates),
  });
  const pods = manager.informer<Pod>(CoreTypes.pod, { labelSelector: config.gatewaySelector });
  watchGateways(pods, config.gatewayAgentPort, (gateways) => {
    channel.pusher.setGateways(gateways);
  });
  manager.add(channel.leaderComponent);

  // Controllers are registered here, and only here.
  const recorder = new EventRecorder({ client, instance: identity, logger });
  const shared = {
    client,
    manager,
    router,
    recorder,
    publisher: () => channel.pusher,
    logger,
    registry,
    workers: config.queueWorkers,
  };
  manager.add(
    certificateController({
      ...shared,
      namespace: config.podNamespace,
      retry: {
        initialMs: config.certificateRetryInitialSeconds * 1000,
        maxMs: config.certificateRetryMaxSeconds * 1000,
        transientInitialMs: config.certificateTransientRetryInitialSeconds * 1000,
        transientMaxMs: config.certificateTransientRetryMaxSeconds * 1000,
      },
      maxConcurrentIssuances: config.certificateMaxConcurrentIssuances,
    }),
  );
  manager.add(wafRuleSetController(shared));
  manager.add(routeConfigController(shared));

  const components: Component[] = [apiServer, channel, manager];
  return new Operator({ health, components, logger });
}

/** Runs the operator until SIGTERM/SIGINT; resolves with the process exit code. */
export function runOperator(config: Config, logger: Logger, deps: OperatorDeps = {}): Promise<number> {
  logger.info('starting gateway-worker operator', {
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    queueWorkers: config.queueWorkers,
    watchNamespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all',
    podNamespace: config.podNamespace,
    leaderElection: config.leaderElection,
  });
  return runUntilSignal(buildOperator(config, logger, deps), logger, deps);
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

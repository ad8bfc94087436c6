/** The gRPC services the worker serves, by full name (/package.Service/Method paths use them). */
export const WORKER_SERVICE_NAME = 'gateway.worker.v1.WorkerService';
/** OTLP's log service, which the worker serves with the telemetry ingest (docs/telemetry.md). */
export const OTLP_LOGS_SERVICE_NAME = 'opentelemetry.proto.collector.logs.v1.LogsService';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';
export const REFLECTION_SERVICE_NAMES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
] as const;

/**
 * What the worker serves (LogsService with the telemetry ingest); the descriptor set also holds
 * GatewayAgent, which only gateways serve.
 */
export const WORKER_SERVED_SERVICES: readonly string[] = [
  WORKER_SERVICE_NAME,
  OTLP_LOGS_SERVICE_NAME,
  HEALTH_SERVICE_NAME,
  ...REFLECTION_SERVICE_NAMES,
];

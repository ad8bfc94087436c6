/**
 * Server reflection for the worker, so `grpcurl` and similar tools work without proto files.
 *
 * @grpc/reflection answers only for what is in the package definition it is given, so besides
 * our own descriptor set (written by scripts/generate-proto.sh) it gets the health and reflection
 * protos that their packages ship; without them `grpcurl list` would not show those services and
 * `grpcurl … grpc.health.v1.Health/Check` could not resolve the method.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { repairDescriptorProtos, repairedDescriptorSet } from './map-entry-names.js';
import { WORKER_SERVED_SERVICES } from './service-names.js';

export {
  HEALTH_SERVICE_NAME,
  OTLP_LOGS_SERVICE_NAME,
  REFLECTION_SERVICE_NAMES,
  WORKER_SERVED_SERVICES,
  WORKER_SERVICE_NAME,
} from './service-names.js';

const DESCRIPTOR_SET = 'gateway-worker.binpb';
const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the descriptor set is: beside the generated code for both src/grpc (tsx) and dist/grpc
 * (the build copies it); a dist/ compiled by plain tsc, which copies no data files, falls back
 * to the source tree.
 */
export function descriptorSetCandidates(moduleDir: string = here): string[] {
  return [
    resolve(moduleDir, '..', 'generated', DESCRIPTOR_SET),
    resolve(moduleDir, '..', '..', 'src', 'generated', DESCRIPTOR_SET),
  ];
}

export function findDescriptorSet(moduleDir: string = here): string {
  const candidates = descriptorSetCandidates(moduleDir);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `gRPC descriptor set not found; looked at ${candidates.join(', ')}. ` +
        `Run "npm run generate:proto" (source tree) or "npm run build" (dist/).`,
    );
  }
  return found;
}

// One set of options for every load, so all definitions in the merged package agree in shape.
const PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/** Every message definition carries the serialized descriptors of all files loaded with it. */
function fileDescriptorProtos(pkg: PackageDefinition): Buffer[] {
  for (const definition of Object.values(pkg)) {
    if ('fileDescriptorProtos' in definition && Array.isArray(definition.fileDescriptorProtos)) {
      return definition.fileDescriptorProtos;
    }
  }
  return [];
}

/** A proto file a package ships, loaded, then repaired for strict clients (see map-entry-names.ts). */
function shippedProto(file: string, includeDir: string): PackageDefinition {
  const parsed = loadSync(file, { ...PROTO_OPTIONS, includeDirs: [includeDir] });
  return loadFileDescriptorSetFromBuffer(repairedDescriptorSet(fileDescriptorProtos(parsed)), PROTO_OPTIONS);
}

/** The package definition reflection describes: our protos, health and reflection itself. */
export function loadReflectionPackage(descriptorSetPath: string = findDescriptorSet()): PackageDefinition {
  const require = createRequire(import.meta.url);
  // Both packages ship their protos beside their build output and load them from there at run
  // time themselves, so the files are present wherever the packages are installed.
  const reflectionProtoDir = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
  const healthProtoDir = resolve(dirname(healthProtoPath), '..', '..');
  const pkg: PackageDefinition = {
    ...loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath), PROTO_OPTIONS),
    ...shippedProto('health/v1/health.proto', healthProtoDir),
    ...shippedProto('grpc/reflection/v1/reflection.proto', reflectionProtoDir),
    ...shippedProto('grpc/reflection/v1alpha/reflection.proto', reflectionProtoDir),
  };
  // Each load's definitions share one array of files, rebuilt by protobufjs: repair each once.
  const arrays = new Set<Buffer[]>();
  for (const definition of Object.values(pkg)) {
    if ('fileDescriptorProtos' in definition && Array.isArray(definition.fileDescriptorProtos)) {
      arrays.add(definition.fileDescriptorProtos);
    }
  }
  for (const files of arrays) repairDescriptorProtos(files);
  return pkg;
}

let defaultPackage: PackageDefinition | undefined;

/** Reflection over {@link loadReflectionPackage}; the default package is parsed once per process. */
export function createReflectionService(
  pkg?: PackageDefinition,
  services: readonly string[] = WORKER_SERVED_SERVICES,
): ReflectionService {
  const definition = pkg ?? (defaultPackage ??= loadReflectionPackage());
  return new ReflectionService(definition, { services: [...services] });
}

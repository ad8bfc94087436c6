/**
 * Repairs the descriptors protobufjs builds from .proto files, so strict reflection clients
 * accept them.
 *
 * protobufjs (through @grpc/proto-loader) names the synthetic message of a `map<K, V> foo_bar`
 * field `Foo_bar` instead of protoc's `FooBarEntry`; Go's protodesc, which grpcurl and other
 * clients use, rejects the whole file ("is an invalid map: incorrect implicit map entry name",
 * fullstorydev/grpcurl#519). grpc.health.v1's HealthListResponse has such a map, so without this
 * `grpcurl … grpc.health.v1.Health/Check` fails. Descriptors compiled by buf are already right.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

/** protoc's rule (protobuf-go internal/strs.MapEntryName): CamelCase the field name, add "Entry". */
export function mapEntryName(fieldName: string): string {
  let name = '';
  let upperNext = true;
  for (const c of fieldName) {
    if (c === '_') upperNext = true;
    else {
      name += upperNext ? c.toUpperCase() : c;
      upperNext = false;
    }
  }
  return `${name}Entry`;
}

function lastSegment(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

function repairMessage(message: DescriptorProto): void {
  // protobufjs also marks a message that holds a map field as a map entry itself
  // (gateway.worker.v1.LogEntry); Go's protodesc then rejects every field of that type as "an
  // invalid map". A real map entry has no nested types.
  if (message.options?.mapEntry === true && message.nestedType.length > 0) message.options.mapEntry = false;
  const entries = new Map(
    message.nestedType
      .filter((nested) => nested.options?.mapEntry === true)
      .map((nested) => [nested.name, nested]),
  );
  for (const field of message.field) {
    const entry = entries.get(lastSegment(field.typeName));
    if (!entry) continue;
    const wanted = mapEntryName(field.name);
    if (entry.name === wanted) continue;
    field.typeName = field.typeName.slice(0, field.typeName.length - entry.name.length) + wanted;
    entry.name = wanted;
  }
  for (const nested of message.nestedType) repairMessage(nested);
}

export function repairMapEntryNames(file: FileDescriptorProto): FileDescriptorProto {
  for (const message of file.messageType) repairMessage(message);
  return file;
}

/** One serialized FileDescriptorProto, repaired. */
export function repairedFileDescriptor(bytes: Uint8Array): Buffer {
  return Buffer.from(
    toBinary(FileDescriptorProtoSchema, repairMapEntryNames(fromBinary(FileDescriptorProtoSchema, bytes))),
  );
}

/** A serialized FileDescriptorSet of `files` (serialized FileDescriptorProtos), repaired. */
export function repairedDescriptorSet(files: readonly Uint8Array[]): Buffer {
  const set = create(FileDescriptorSetSchema, {
    file: files.map((bytes) => repairMapEntryNames(fromBinary(FileDescriptorProtoSchema, bytes))),
  });
  return Buffer.from(toBinary(FileDescriptorSetSchema, set));
}

/**
 * Repairs the descriptors protobufjs builds from .proto files, so strict reflection clients
 * accept them.
 *
 * protobufjs (through @grpc/proto-loader) names the synthetic message of a `map<K, V> foo_bar`
 * field `Foo_bar` instead of protoc's `FooBarEntry`; Go's protodesc, which grpcurl and other
 * clients use, rejects the whole file ("is an invalid map: incorrect implicit map entry name",
 * fullstorydev/grpcurl#519). grpc.health.v1's HealthListResponse has such a map, so without this
 * `grpcurl … grpc.health.v1.Health/Check` fails. Descriptors compiled by buf are right, but
 * proto-loader rebuilds them through protobufjs too, whose fromDescriptor also marks every
 * message *holding* a map as a map entry itself (protobufjs ext/descriptor, Type.fromDescriptor);
 * a field of such a type (LogEntries.entries of LogEntry, which has a map) then fails the same
 * way ("is an invalid map"). That flag is cleared on every message that is not one.
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

/** A map entry is nested in the message whose repeated field uses it; nothing else is one. */
function clearFalseMapEntries(message: DescriptorProto, isEntry: boolean): void {
  if (!isEntry && message.options?.mapEntry) message.options.mapEntry = false;
  const used = new Set(message.field.map((field) => lastSegment(field.typeName)));
  for (const nested of message.nestedType)
    clearFalseMapEntries(nested, used.has(nested.name) && nested.options?.mapEntry === true);
}

function repairMessage(message: DescriptorProto): void {
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
  for (const message of file.messageType) {
    clearFalseMapEntries(message, false);
    repairMessage(message);
  }
  return file;
}

/**
 * Repairs, in place, the serialized files a proto-loader package definition hands to
 * reflection (`fileDescriptorProtos`, one array its definitions share).
 */
export function repairDescriptorProtos(files: Buffer[]): void {
  files.forEach((bytes, i) => {
    files[i] = Buffer.from(
      toBinary(FileDescriptorProtoSchema, repairMapEntryNames(fromBinary(FileDescriptorProtoSchema, bytes))),
    );
  });
}

/** A serialized FileDescriptorSet of `files` (serialized FileDescriptorProtos), repaired. */
export function repairedDescriptorSet(files: readonly Uint8Array[]): Buffer {
  const set = create(FileDescriptorSetSchema, {
    file: files.map((bytes) => repairMapEntryNames(fromBinary(FileDescriptorProtoSchema, bytes))),
  });
  return Buffer.from(toBinary(FileDescriptorSetSchema, set));
}

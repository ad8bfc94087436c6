import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import { mapEntryName, repairedDescriptorSet } from './map-entry-names.js';

describe('map entry names', () => {
  for (const [field, entry] of [
    ['statuses', 'StatusesEntry'],
    ['foo_bar', 'FooBarEntry'],
    ['fooBar', 'FooBarEntry'],
    ['a__b', 'ABEntry'],
  ]) {
    it(`names the entry of map field ${field} ${entry}, as protoc does`, () => {
      expect(mapEntryName(field!)).to.equal(entry);
    });
  }

  it('renames a map entry protobufjs misnamed, and the field type that points at it', () => {
    const file = create(FileDescriptorProtoSchema, {
      name: 'x.proto',
      package: 'x',
      messageType: [
        {
          name: 'List',
          field: [{ name: 'by_name', number: 1, typeName: 'By_name' }],
          nestedType: [{ name: 'By_name', options: { mapEntry: true } }],
        },
      ],
    });
    const set = fromBinary(
      FileDescriptorSetSchema,
      repairedDescriptorSet([toBinary(FileDescriptorProtoSchema, file)]),
    );
    const message = set.file[0]?.messageType[0];
    expect(message?.nestedType[0]?.name).to.equal('ByNameEntry');
    expect(message?.field[0]?.typeName).to.equal('ByNameEntry');
  });

  it('leaves nested messages that are not map entries alone', () => {
    const file = create(FileDescriptorProtoSchema, {
      name: 'x.proto',
      messageType: [
        {
          name: 'Outer',
          field: [{ name: 'inner', number: 1, typeName: '.Outer.Inner' }],
          nestedType: [{ name: 'Inner' }],
        },
      ],
    });
    const set = fromBinary(
      FileDescriptorSetSchema,
      repairedDescriptorSet([toBinary(FileDescriptorProtoSchema, file)]),
    );
    expect(set.file[0]?.messageType[0]?.nestedType[0]?.name).to.equal('Inner');
  });

  it('clears the map-entry flag protobufjs puts on a message that holds a map, keeping the real entry', () => {
    const file = create(FileDescriptorProtoSchema, {
      name: 'x.proto',
      messageType: [
        {
          name: 'LogEntry',
          options: { mapEntry: true },
          field: [{ name: 'metadata', number: 6, typeName: 'MetadataEntry' }],
          nestedType: [{ name: 'MetadataEntry', options: { mapEntry: true } }],
        },
        { name: 'LogEntries', field: [{ name: 'entries', number: 1, typeName: '.x.LogEntry' }] },
      ],
    });
    const set = fromBinary(
      FileDescriptorSetSchema,
      repairedDescriptorSet([toBinary(FileDescriptorProtoSchema, file)]),
    );
    const logEntry = set.file[0]?.messageType[0];
    expect(logEntry?.options?.mapEntry).to.equal(false);
    expect(logEntry?.nestedType[0]?.options?.mapEntry).to.equal(true);
  });
});

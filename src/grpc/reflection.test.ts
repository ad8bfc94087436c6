import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import { findDescriptorSet, loadReflectionPackage, WORKER_SERVED_SERVICES } from './reflection.js';

describe('reflection', () => {
  it('describes every service the worker serves, from our descriptor set and the shipped protos', () => {
    const pkg = loadReflectionPackage();
    for (const service of WORKER_SERVED_SERVICES) expect(pkg, service).to.have.property(service);
  });

  it('serves health descriptors whose map entries Go clients accept (HealthListResponse.StatusesEntry)', () => {
    const definition = loadReflectionPackage()['grpc.health.v1.HealthListResponse'];
    const files =
      definition && 'fileDescriptorProtos' in definition && Array.isArray(definition.fileDescriptorProtos)
        ? definition.fileDescriptorProtos
        : [];
    const messages = files.flatMap((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).messageType);
    const list = messages.find((message) => message.name === 'HealthListResponse');
    expect(list?.nestedType.map((nested) => nested.name)).to.deep.equal(['StatusesEntry']);
  });

  describe('findDescriptorSet', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'gw-reflection-'));
      mkdirSync(join(root, 'dist', 'grpc'), { recursive: true });
      mkdirSync(join(root, 'dist', 'generated'), { recursive: true });
      mkdirSync(join(root, 'src', 'generated'), { recursive: true });
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('prefers the copy beside the compiled code', () => {
      writeFileSync(join(root, 'dist', 'generated', 'gateway-worker.binpb'), '');
      writeFileSync(join(root, 'src', 'generated', 'gateway-worker.binpb'), '');
      expect(findDescriptorSet(join(root, 'dist', 'grpc'))).to.equal(
        join(root, 'dist', 'generated', 'gateway-worker.binpb'),
      );
    });

    it('falls back to the source tree for a dist/ that tsc built without the copy', () => {
      writeFileSync(join(root, 'src', 'generated', 'gateway-worker.binpb'), '');
      expect(findDescriptorSet(join(root, 'dist', 'grpc'))).to.equal(
        join(root, 'src', 'generated', 'gateway-worker.binpb'),
      );
    });

    it('says where it looked and how to make the file when there is none', () => {
      expect(() => findDescriptorSet(join(root, 'dist', 'grpc'))).to.throw(
        /not found; looked at .*npm run build/,
      );
    });
  });
});

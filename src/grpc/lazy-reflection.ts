/**
 * Server reflection registered at start but built on its first call. @grpc/reflection parses
 * every descriptor into protobufjs objects when it is constructed — about 16 MiB of the worker's
 * memory (docs/benchmarks.md, footprint) — for a service that only grpcurl and similar tools
 * call. So the two reflection services are registered with pass-through serializers, and the
 * first call loads the real one (src/grpc/reflection.ts) and hands it each request, decoded with
 * its own serializers, as if grpc-js had called it.
 */
import { EventEmitter } from 'node:events';
import { status, type MethodDefinition, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { REFLECTION_SERVICE_NAMES } from './service-names.js';

const METHOD = 'ServerReflectionInfo';

/** What @grpc/reflection's handler uses of the stream it is given. */
interface ReflectionStream extends EventEmitter {
  write(message: unknown): boolean;
  end(): void;
}

interface RealMethod {
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly handler: (stream: ReflectionStream) => void;
}

const passThrough = (bytes: Buffer): Buffer => bytes;

export function addLazyReflection(server: Pick<Server, 'addService'>, services: readonly string[]): void {
  let loading: Promise<Map<string, RealMethod>> | undefined;
  const load = () =>
    (loading ??= import('./reflection.js').then(({ createReflectionService }) => {
      const methods = new Map<string, RealMethod>();
      createReflectionService(undefined, services).addToServer({
        addService: (definition, implementation) => {
          const method = definition[METHOD];
          const handler = implementation[METHOD];
          if (!method || typeof handler !== 'function') return;
          methods.set(method.path, {
            definition: method as MethodDefinition<unknown, unknown>,
            handler: handler as unknown as RealMethod['handler'],
          });
        },
      });
      return methods;
    }));
  for (const name of REFLECTION_SERVICE_NAMES) {
    const path = `/${name}/${METHOD}`;
    server.addService(
      {
        [METHOD]: {
          path,
          requestStream: true,
          responseStream: true,
          requestSerialize: passThrough,
          requestDeserialize: passThrough,
          responseSerialize: passThrough,
          responseDeserialize: passThrough,
        },
      },
      { [METHOD]: (call: ServerDuplexStream<Buffer, Buffer>) => relay(call, path, load) },
    );
  }
}

/** Holds the call's requests until the real service is loaded, then passes everything through. */
function relay(
  call: ServerDuplexStream<Buffer, Buffer>,
  path: string,
  load: () => Promise<Map<string, RealMethod>>,
): void {
  const early: Buffer[] = [];
  let ended = false;
  let deliver: ((bytes: Buffer) => void) | undefined;
  let finish: (() => void) | undefined;
  call.on('data', (bytes: Buffer) => (deliver ? deliver(bytes) : early.push(bytes)));
  call.on('end', () => (finish ? finish() : (ended = true)));
  load()
    .then((methods) => {
      const real = methods.get(path);
      if (!real) throw new Error(`${path} is not served`);
      const stream: ReflectionStream = Object.assign(new EventEmitter(), {
        write: (message: unknown) => call.write(real.definition.responseSerialize(message)),
        end: () => call.end(),
      });
      real.handler(stream);
      deliver = (bytes) => stream.emit('data', real.definition.requestDeserialize(bytes));
      finish = () => stream.emit('end');
      for (const bytes of early.splice(0)) deliver(bytes);
      if (ended) finish();
    })
    .catch((error: unknown) => {
      call.emit('error', {
        code: status.INTERNAL,
        details: `server reflection failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    });
}

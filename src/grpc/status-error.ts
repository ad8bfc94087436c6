import type { status } from '@grpc/grpc-js';

/** An error a WorkerService handler answers with its own gRPC status code and message. */
export class StatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

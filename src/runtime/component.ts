/**
 * Something the operator starts at boot and stops at shutdown: a connection check, an informer
 * cache, a controller, the gRPC server. Components start in list order and stop in reverse.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /**
   * Releases what start() acquired. Called also when start() failed or is still running, so it
   * must cope with a half-started component and should make a pending start() settle.
   */
  stop(): Promise<void>;
}

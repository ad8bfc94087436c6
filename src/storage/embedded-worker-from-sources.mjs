// Starts the embedded store's worker from the TypeScript sources (tests, demo, benchmarks):
// Node 20 does not carry the main thread's tsx loader into worker threads, so it is registered
// here first. Plain JavaScript, so the build neither compiles nor ships it; the image runs the
// compiled embedded-worker.js directly.
import { URL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
await import(new URL('./embedded-worker.ts', import.meta.url).href);

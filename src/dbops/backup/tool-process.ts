/**
 * pg_dump and pg_restore as child processes wired into streams. A tool that fails makes its
 * stream fail too, at its end, so the object store never commits the half-written dump of a
 * pg_dump that died (the directory store's temp file is not renamed, S3's multipart upload is
 * aborted). Aborting kills the tool. Its stderr, bounded, becomes the error message.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { clip } from '../../domain/dbops/index.js';

const STDERR_KEPT = 16 * 1024;

export class ToolError extends Error {
  override readonly name = 'ToolError';
}

export interface ToolProcess {
  /** Resolves when the tool exits 0; rejects with its stderr otherwise. */
  readonly exited: Promise<void>;
}

function start(
  path: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): { child: ChildProcessByStdio<Writable, Readable, Readable>; exited: Promise<void> } {
  const child = spawn(path, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < STDERR_KEPT) stderr += text;
  });
  const name = path.split('/').pop() ?? path;
  const onAbort = (): void => {
    child.kill('SIGTERM');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new ToolError(`${name} could not start: ${err.message}`)));
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (code === 0) resolve();
      else
        reject(
          new ToolError(
            `${name} ${killedBy ? `was stopped (${killedBy})` : `exited with ${code ?? '?'}`}: ${clip(stderr, 2000) || 'no message'}`,
          ),
        );
    });
  });
  // Nobody may wait on it (a failed upload ends everything first): never an unhandled rejection.
  exited.catch(() => undefined);
  return { child, exited };
}

/**
 * Runs a tool whose stdout is the product (pg_dump): the returned stream ends only once the tool
 * exited 0, and fails with its stderr otherwise.
 */
export function toolOutput(
  path: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): ToolProcess & { output: Readable } {
  const { child, exited } = start(path, args, env, signal);
  child.stdin.end();
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      exited.then(
        () => callback(),
        (err: unknown) => callback(err as Error),
      );
    },
  });
  child.stdout.on('error', (err) => gate.destroy(err));
  exited.catch((err: unknown) => {
    // A tool that dies before closing stdout still fails the stream.
    if (!gate.writableFinished) gate.destroy(err as Error);
  });
  child.stdout.pipe(gate);
  return { output: gate, exited };
}

/** Runs a tool fed on stdin (pg_restore): resolves when it exited 0 after reading all of `input`. */
export async function toolInput(
  path: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input: Readable,
  signal?: AbortSignal,
): Promise<void> {
  const { child, exited } = start(path, args, env, signal);
  child.stdout.resume();
  const fed = new Promise<void>((resolve, reject) => {
    input.once('error', (err) => {
      child.kill('SIGTERM');
      reject(err);
    });
    child.stdin.once('error', (err: NodeJS.ErrnoException) => {
      // The tool stopped reading (it failed): its exit status says why.
      if (err.code === 'EPIPE') resolve();
      else reject(err);
    });
    child.stdin.once('finish', () => resolve());
  });
  // A tool that failed reads no more: stop downloading what it would have read.
  exited.catch(() => input.destroy());
  input.pipe(child.stdin);
  await Promise.all([fed, exited]);
}

/**
 * What a shipped batch's header must look like, checked before anything is stored: a stream id
 * (the agent's sequence space) and a sequence number from 1.
 */

const STREAM_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

export function streamIdProblem(stream: string): string | undefined {
  if (stream === '')
    return "stream is required (the agent's sequence space, e.g. a random id kept with its state)";
  if (!STREAM_ID.test(stream))
    return `stream "${stream.slice(0, 40)}" must be 1-128 characters of A-Z a-z 0-9 . _ : / -`;
  return undefined;
}

export function sequenceProblem(sequence: number): string | undefined {
  return sequence >= 1 ? undefined : 'sequence must be 1 or more';
}

/** Both checks, for one batch: the first problem, or undefined. */
export function batchHeaderProblem(stream: string, sequence: number): string | undefined {
  return streamIdProblem(stream) ?? sequenceProblem(sequence);
}

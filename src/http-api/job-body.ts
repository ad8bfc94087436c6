/** The body of `POST /api/v1/jobs`: `{ "kind": "...", "target": "...", "payload": <any JSON> }`. */
import type { EnqueueRequest } from '../storage/jobs/job-types.js';
import { QueryError } from './query.js';
import type { BodySpec } from './route.js';

const FIELDS = ['kind', 'target', 'payload', 'singletonKey'];

export const jobRequest: BodySpec<EnqueueRequest> = {
  maxBytes: 128 * 1024,
  parse(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new QueryError(
        'must be a JSON object such as {"kind": "jobs.prune", "target": "", "payload": {}}',
      );
    const body = value as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !FIELDS.includes(k));
    if (unknown.length > 0)
      throw new QueryError(
        `unknown field ${unknown.map((k) => `"${k}"`).join(', ')}: allowed are ${FIELDS.join(', ')}`,
      );
    const { kind, target, payload, singletonKey } = body;
    if (typeof kind !== 'string' || kind === '')
      throw new QueryError('"kind" is required: the name of a job kind');
    if (target !== undefined && typeof target !== 'string') throw new QueryError('"target" must be a string');
    if (singletonKey !== undefined && (typeof singletonKey !== 'string' || singletonKey === ''))
      throw new QueryError('"singletonKey" must be a non-empty string');
    return {
      kind,
      ...(target === undefined ? {} : { target }),
      ...(payload === undefined ? {} : { payload }),
      ...(singletonKey === undefined ? {} : { singletonKey }),
    };
  },
};

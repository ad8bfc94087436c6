/**
 * ACME_CHALLENGES: the HTTP-01 tokens the agent's HTTP server answers, in memory only (a challenge
 * lives for minutes, and the worker sends the whole set again when the agent reconnects).
 */
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import { parseChallenge } from './acme-challenges.js';
import { parseEach, type ConfigWriterFactory } from './config-writer.js';
import { parseJson } from './json-checks.js';

export const acmeChallengesWriter: ConfigWriterFactory = ({ challenges }) => ({
  check(_version, resources) {
    const errors: ResourceError[] = [];
    const parsed = parseEach(resources, (r) => parseChallenge(parseJson(r.payload)), errors);
    const owner = new Map<string, string>();
    for (const { resource, value } of parsed) {
      const first = owner.get(value.token);
      if (first !== undefined)
        errors.push({ name: resource, message: `token ${value.token} is also in ${first}` });
      else owner.set(value.token, resource);
    }
    if (errors.length > 0) return { errors };
    const set = parsed.map((c) => c.value);
    return {
      write: () => {
        challenges.replace(set);
        return Promise.resolve();
      },
    };
  },
});

/**
 * The version of a configuration type's complete state: the same content hash the worker puts on
 * each update (domain/snapshot), so the agent can tell a truncated, mixed-up or mis-chunked
 * update from the one the worker meant.
 */
export {
  contentVersion as payloadVersion,
  groupVersion as configVersion,
} from '../domain/snapshot/snapshot.js';

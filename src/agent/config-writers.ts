/**
 * The agent's writer for each SyncConfig type of the registry (domain/snapshot/pushed-types.ts),
 * in one visible place. Keyed by the registry's names, so a pushed type registered without a
 * writer here does not compile.
 */
import type { SyncedTypeName } from '../domain/snapshot/pushed-types.js';
import { acmeChallengesWriter } from './config-writer-acme.js';
import { ipDenyWriter } from './config-writer-ip-deny.js';
import { routesWriter } from './config-writer-routes.js';
import { wafRulesWriter } from './config-writer-waf.js';
import type { ConfigWriterFactory } from './config-writer.js';

export const CONFIG_WRITERS: { readonly [T in SyncedTypeName]: ConfigWriterFactory } = {
  acme: acmeChallengesWriter,
  waf: wafRulesWriter,
  'ip-deny': ipDenyWriter,
  routes: routesWriter,
};

/**
 * Walks a document and its schema together and applies what ajv does not: the CEL rules'
 * TypeScript twins, the checks CEL cannot express (offline-only rules), and duplicate items in
 * `set` lists. A node's rules are skipped when the structural schema already failed at or below
 * it (the rule could read a value of the wrong type). The API server goes further and skips all
 * rules of an object with any schema error; reporting the rest too saves CI round trips.
 */
import type { Node, Rule } from '../api/v1alpha1/schema/builder.js';
import { childPath, isWithin, joinFieldPath, mapEntryPath, showValue, type Problem } from './problem.js';

export function checkRules(
  root: Node,
  value: unknown,
  doc: number,
  schemaProblems: readonly Problem[],
): Problem[] {
  const problems: Problem[] = [];
  const broken = (path: string): boolean => schemaProblems.some((p) => isWithin(p.path, path));
  walk(root, value, '', { doc, problems, broken });
  return problems;
}

interface Walk {
  readonly doc: number;
  readonly problems: Problem[];
  readonly broken: (path: string) => boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(node: Node, value: unknown, path: string, w: Walk): void {
  if (value === undefined) return;
  if (!w.broken(path)) applyRules(node.rules, value, path, w);
  if (node.properties && isRecord(value)) {
    for (const [key, child] of Object.entries(node.properties))
      walk(child, value[key], childPath(path, key), w);
  }
  if (node.values && isRecord(value)) {
    for (const [key, entry] of Object.entries(value)) walk(node.values, entry, mapEntryPath(path, key), w);
  }
  if (node.items && Array.isArray(value)) {
    if (node.json['x-kubernetes-list-type'] === 'set') duplicates(value, path, w);
    value.forEach((item, index) => {
      if (node.items) walk(node.items, item, childPath(path, index), w);
    });
  }
}

/** CEL twins first; the offline-only rules of a node run once its CEL twins hold, to say one thing once. */
function applyRules(rules: readonly Rule<unknown>[], value: unknown, path: string, w: Walk): void {
  let celFailed = false;
  for (const rule of rules.filter((r) => r.cel !== undefined)) {
    const message = rule.problem(value);
    if (message === undefined) continue;
    celFailed = true;
    w.problems.push({
      doc: w.doc,
      path: joinFieldPath(path, rule.fieldPath),
      message: celMessage(value, message),
    });
  }
  if (celFailed) return;
  for (const rule of rules.filter((r) => r.cel === undefined)) {
    const message = rule.problem(value);
    if (message !== undefined)
      w.problems.push({ doc: w.doc, path: joinFieldPath(path, rule.fieldPath), message });
  }
}

/** The server quotes the value a failed rule was evaluated on when it is a scalar. */
function celMessage(self: unknown, message: string): string {
  return typeof self === 'object' && self !== null
    ? `Invalid value: ${message}`
    : `Invalid value: ${showValue(self)}: ${message}`;
}

function duplicates(items: readonly unknown[], path: string, w: Walk): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const key = JSON.stringify(item);
    if (seen.has(key))
      w.problems.push({
        doc: w.doc,
        path: childPath(path, index),
        message: `Duplicate value: ${showValue(item)}`,
      });
    seen.add(key);
  });
}

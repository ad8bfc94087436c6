/**
 * A kind of our API: its names, printer columns and schema. The CRD, the TypeScript type and
 * the validators are all read off one of these.
 */
import type { ObjectMeta, ResourceType } from '../../../runtime/kube/resource.js';
import { object, required, string, type InputOf, type Node, type Presence, type TypeOf } from './builder.js';

export const GROUP = 'gateway.awesomeapi.com.br';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'gateway-worker';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description: string;
}

export interface KindNames {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortName: string;
  readonly description: string;
  readonly printerColumns: readonly PrinterColumn[];
}

/**
 * Kubernetes owns metadata: a CRD schema may only say it is an object. Its TypeScript type is the
 * runtime's ObjectMeta (a type-only import: nothing from the runtime runs here).
 */
const metadata: Node<ObjectMeta, 'required'> = {
  json: { type: 'object' },
  presence: 'required',
  rules: [],
};

export function defineKind<S, SI, St, StI>(
  names: KindNames,
  spec: Node<S, Presence, SI>,
  status: Node<St, Presence, StI>,
) {
  const root = object(names.description, {
    apiVersion: string(
      'APIVersion defines the versioned schema of this representation of an object: ' + `${API_VERSION}.`,
      { maxLength: 253 },
    ),
    kind: string(`Kind is the REST resource this object represents: ${names.kind}.`, { maxLength: 63 }),
    metadata,
    spec: required(spec),
    status,
  });
  const resource: ResourceType = {
    group: GROUP,
    version: VERSION,
    plural: names.plural,
    kind: names.kind,
    namespaced: true,
  };
  return { ...names, root, resource };
}

export type KindDefinition = ReturnType<typeof defineKind>;
export type ObjectOfKind<K extends { root: Node }> = TypeOf<K['root']>;

/** `status.conditions[?(@.type=="X")].status`, the column kstatus-minded users read first. */
export function conditionColumn(type: string, description: string): PrinterColumn {
  return {
    name: type,
    type: 'string',
    jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
    description,
  };
}

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the resource was created.',
};
export type InputOfKind<K extends { root: Node }> = InputOf<K['root']>;

/**
 * The description of one pushed type: what the gateways receive of it, over which RPC, in which
 * order, from which kinds, and what the operator may do in the API to produce it. Plain data, so
 * the worker, the agent, the Helm chart's RBAC and the docs all read the same facts; the
 * descriptors are registered in pushed-types.ts, the one place that lists them.
 */
import type { ResourceType } from '../../generated/gateway/worker/v1/resources.js';

/** A `ResourceType` of proto/gateway/worker/v1/resources.proto, by its enum name. */
export type ProtoResourceType = Exclude<
  keyof typeof ResourceType,
  'RESOURCE_TYPE_UNSPECIFIED' | 'UNRECOGNIZED'
>;

/** What the controllers of the publishing kinds need in the namespaces they watch, as one Role rule. */
export interface RbacNeed {
  /** '' for the core group. */
  readonly apiGroup: string;
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Why, in a few words: it becomes a comment in the chart's template. */
  readonly why: string;
}

interface PushedTypeCommon {
  /**
   * Short, stable name: the key of snapshots and owners' resources, and the `type` label of the
   * push metrics (`gateway_worker_pushes_total{type="routes"}`): a contract once released.
   */
  readonly name: string;
  /** The kinds (`KINDS` of src/api/v1alpha1) whose controllers publish resources of this type. */
  readonly publishedBy: readonly string[];
  /**
   * Make-before-break: pushed types a gateway must have answered (ACK or NACK) before this one is
   * sent to it, because this type may refer to them (routes name certificates and rule sets).
   * Only types registered before this one.
   */
  readonly waitsFor: readonly string[];
  /** API access the publishing controllers need for this type beyond their own kinds. */
  readonly rbac: readonly RbacNeed[];
}

/** Resources sent as versioned, ACKed updates of one type on the SyncConfig stream. */
export interface SyncedPushedType extends PushedTypeCommon {
  readonly transport: 'SyncConfig';
  readonly proto: ProtoResourceType;
}

/** Certificate and key pairs, one unary ApplyCertificate call each (a key never rides a stream). */
export interface CertificatePushedType extends PushedTypeCommon {
  readonly transport: 'ApplyCertificate';
}

export type PushedType = SyncedPushedType | CertificatePushedType;

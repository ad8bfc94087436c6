/** The CustomResourceDefinition of a kind, as plain JSON: what `crds/` holds and tests install. */
import type { JsonSchema } from './schema/builder.js';
import { CATEGORY, GROUP, VERSION, type KindDefinition, type PrinterColumn } from './schema/kind.js';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

export function crdFor(kind: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [kind.shortName],
        // `kubectl get gateway-worker` lists all our kinds.
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...kind.printerColumns],
          schema: { openAPIV3Schema: kind.root.json },
        },
      ],
    },
  };
}

/** The file each CRD is written to, in the controller-gen naming users know: `<group>_<plural>.yaml`. */
export function crdFileName(kind: KindDefinition): string {
  return `${GROUP}_${kind.plural}.yaml`;
}

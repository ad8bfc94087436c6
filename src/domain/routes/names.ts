/** Names the route compiler hands out: object keys and the pushed resource name of a RouteConfig. */

/** 'namespace/name': the informer cache key, and how messages name an object. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The name a RouteConfig's payload is pushed under, unique among the `routes` resources. It is
 * the object key, the convention of every pushed kind, so routes.yaml names the RouteConfig.
 */
export function routeResourceName(namespace: string, name: string): string {
  return objectKey(namespace, name);
}

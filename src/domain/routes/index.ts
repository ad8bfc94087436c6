/** The route compiler (pure): RouteConfigs, Services and EndpointSlices in; payloads and conditions out. */
export { compileRoutes, describeConflict, describeUnresolved } from './compile.js';
export { routeResourceName, objectKey } from './names.js';
export { specReferences, type SpecReferences } from './references.js';
export {
  SERVICE_NAME_LABEL,
  endpointSliceData,
  serviceBackend,
  serviceBackends,
  type EndpointSliceJson,
  type ServiceJson,
} from './kubernetes-backends.js';
export type * from './types.js';

/**
 * Every HTTP API route, in one list: method, path, the RBAC verb on which virtual resource of
 * gateway.awesomeapi.com.br it needs, its query parameters, and the handler. A new endpoint is
 * one more entry here (and a line in docs/api.md); nothing else keeps a list of paths.
 */
import { listGateways, type GatewaySources } from './gateways-view.js';
import { boolean, namespaceName } from './query.js';
import { ApiProblem, route, type Route } from './route.js';

export interface ApiSources {
  readonly gateways: GatewaySources;
}

export function apiRoutes(sources: ApiSources): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/gateways',
      verb: 'list',
      resource: 'gateways',
      query: { namespace: namespaceName(), connected: boolean() },
      scope: ({ query }) => ({ namespace: query.namespace }),
      handler: ({ query }) => listGateways(sources.gateways, query),
    }),
    route({
      method: 'GET',
      path: '/api/v1/gateways/:namespace/:pod',
      verb: 'get',
      resource: 'gateways',
      scope: ({ params }) => ({ namespace: params.namespace, name: params.pod }),
      handler: ({ params }) => {
        const name = `${params.namespace}/${params.pod}`;
        const found = listGateways(sources.gateways, { namespace: params.namespace }).items.find(
          (g) => g.name === name,
        );
        if (!found) throw new ApiProblem(404, 'NotFound', `no gateway pod ${name} is known to this replica`);
        return found;
      },
    }),
  ];
}

// kilnd's native network API (src/api/networks.ts) for `kiln network ...`: create, list, inspect
// and remove kiln's bridge networks (src/network). The list answers with kiln's records, the
// default network always among them as it is from dockerd's start; inspect answers with the
// docker-shaped view `kiln network inspect` prints, its containers read off the network's
// endpoints.
import type { ServerResponse } from 'node:http';
import { networksPath, type NetworkRecord } from '../../api/networks.js';
import { DEFAULT_NETWORK, NetworkStore, networkEndpoints, type NetworkConfig } from '../../network/index.js';
import type { ImageEngine } from '../images/engine.js';
import { parseNetworkCreateRequest } from './container-request.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';

async function inspectView(root: string, network: NetworkConfig): Promise<Record<string, unknown>> {
  const containers: Record<string, unknown> = {};
  for (const endpoint of await networkEndpoints(root, network.name)) {
    containers[endpoint.containerId] = {
      Name: endpoint.hostname ?? endpoint.containerId.slice(0, 12),
      MacAddress: endpoint.mac ?? '',
      IPv4Address: endpoint.ip === undefined ? '' : `${endpoint.ip}/${network.subnet.split('/')[1] ?? ''}`,
      IPv6Address: '',
    };
  }
  return {
    Name: network.name,
    Id: network.id,
    Created: network.createdAt,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Internal: network.internal === true,
    Attachable: false,
    Ingress: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': network.bridge },
    Labels: network.labels ?? {},
  };
}

async function serveList(engine: ImageEngine, res: ServerResponse): Promise<void> {
  const store = new NetworkStore(engine.root);
  await store.ensureDefault();
  sendJson(res, 200, await store.list() satisfies NetworkRecord[]);
}

async function serveCreate(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const request = parseNetworkCreateRequest(await readJson(ctx.req));
  const network = await new NetworkStore(engine.root).create({
    name: request.name, internal: request.internal === true, labels: request.labels ?? {},
    ...(request.subnet === undefined ? {} : { subnet: request.subnet }),
  });
  sendJson(res, 201, network satisfies NetworkRecord);
}

async function serveInspect(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const name = ctx.params[0] ?? '';
  const store = new NetworkStore(engine.root);
  if (name === DEFAULT_NETWORK) await store.ensureDefault();
  sendJson(res, 200, await inspectView(engine.root, await store.get(name)));
}

export function nativeNetworkRoutes(router: Router, engine: ImageEngine): void {
  const one = new RegExp(`^${networksPath}/([^/]+)$`);
  router
    .on('GET', new RegExp(`^${networksPath}$`), (_ctx, res) => serveList(engine, res))
    .on('POST', new RegExp(`^${networksPath}$`), (ctx, res) => serveCreate(engine, ctx, res))
    .on('GET', one, (ctx, res) => serveInspect(engine, ctx, res))
    .on('DELETE', one, async (ctx, res) => {
      await new NetworkStore(engine.root).remove(ctx.params[0] ?? '');
      res.writeHead(204).end();
    });
}

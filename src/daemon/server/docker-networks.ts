// The Engine API's network endpoints over kiln's networks (src/network): `GET /networks` lists
// docker's three predefined ones (bridge: kiln's default network; host; none) and the user
// networks, `GET /networks/{id}` shows one with its attached containers, `POST
// /networks/create` makes a bridge network and `DELETE /networks/{id}` removes one. host and
// none are no records of kiln's: they get stable IDs derived from the store root.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { networkEndpoints } from '../../network/endpoints.js';
import { DEFAULT_NETWORK, NetworkStore, type NetworkConfig } from '../../network/index.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { ContainerStore } from '../containers/store.js';
import { parseFilters, type Filters } from './docker-image-filters.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';

type Json = Record<string, unknown>;

/** A predefined network without a record: host or none. */
interface Builtin {
  name: 'host' | 'none';
  driver: 'host' | 'null';
}

const builtins: Builtin[] = [{ name: 'host', driver: 'host' }, { name: 'none', driver: 'null' }];

function builtinId(root: string, name: string): string {
  return createHash('sha256').update(`kiln network ${root} ${name}`).digest('hex');
}

function networkJson(fields: { name: string; id: string; created: string; driver: string; config: Json[]; internal: boolean; labels: Record<string, string>; options: Record<string, string> }, containers: Json): Json {
  return {
    Name: fields.name, Id: fields.id, Created: fields.created, Scope: 'local', Driver: fields.driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: fields.config }, Internal: fields.internal, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: containers, Options: fields.options, Labels: fields.labels,
  };
}

function bridgeJson(network: NetworkConfig, containers: Json): Json {
  const isDefault = network.name === DEFAULT_NETWORK;
  return networkJson({
    name: network.name, id: network.id, created: network.createdAt, driver: 'bridge', internal: network.internal === true, labels: network.labels ?? {},
    config: [{ Subnet: network.subnet, Gateway: network.gateway }],
    options: { 'com.docker.network.bridge.name': network.bridge, ...(isDefault ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}) },
  }, containers);
}

function builtinJson(root: string, builtin: Builtin, created: string): Json {
  return networkJson({ name: builtin.name, id: builtinId(root, builtin.name), created, driver: builtin.driver, config: [], internal: false, labels: {}, options: {} }, {});
}

/** The containers attached to a kiln network, as docker's inspect keys them: by container ID. */
async function attached(root: string, network: NetworkConfig): Promise<Json> {
  const store = new ContainerStore(root);
  const entries: [string, Json][] = [];
  for (const endpoint of await networkEndpoints(root, network.name)) {
    const record = await store.get(endpoint.containerId);
    // The endpoint pool's namespaces wait for a container: none yet.
    if (record === undefined) continue;
    const prefix = network.subnet.split('/')[1] ?? '';
    entries.push([record.id, { Name: record.name, EndpointID: '', MacAddress: endpoint.mac ?? '', IPv4Address: endpoint.ip === undefined ? '' : `${endpoint.ip}/${prefix}`, IPv6Address: '' }]);
  }
  return Object.fromEntries(entries);
}

/** Every network as docker lists it; `withContainers` fills in the attached containers. */
async function allNetworks(engine: ImageEngine, withContainers: boolean): Promise<Json[]> {
  const store = new NetworkStore(engine.root);
  const bridge = await store.ensureDefault();
  const networks = [bridge, ...(await store.list()).filter((n) => n.name !== DEFAULT_NETWORK)];
  const own = await Promise.all(networks.map(async (n) => bridgeJson(n, withContainers ? await attached(engine.root, n) : {})));
  return [...own, ...builtins.map((b) => builtinJson(engine.root, b, bridge.createdAt))];
}

function matches(network: Json, filters: Filters): boolean {
  const name = String(network['Name']);
  const tests: Record<string, (value: string) => boolean> = {
    name: (value) => name.includes(value),
    id: (value) => String(network['Id']).startsWith(value),
    driver: (value) => network['Driver'] === value,
    type: (value) => (value === 'builtin') === ['bridge', 'host', 'none'].includes(name),
    label: (value) => {
      const labels = network['Labels'] as Record<string, string>;
      const eq = value.indexOf('=');
      return eq < 0 ? Object.hasOwn(labels, value) : labels[value.slice(0, eq)] === value.slice(eq + 1);
    },
  };
  return [...filters].every(([key, values]) => values.some((value) => tests[key]?.(value) ?? false));
}

async function serveList(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'), ['name', 'id', 'driver', 'type', 'label']);
  sendJson(res, 200, (await allNetworks(engine, false)).filter((network) => matches(network, filters)));
}

async function serveInspect(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const text = ctx.params[0] ?? '';
  const all = await allNetworks(engine, true);
  const found = all.find((n) => n['Name'] === text || n['Id'] === text) ?? (() => {
    const byPrefix = all.filter((n) => String(n['Id']).startsWith(text));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  })();
  if (found === undefined) throw new KilnError('NOT_FOUND', `network ${text} not found`);
  sendJson(res, 200, found);
}

async function serveCreate(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const body = await readJson(ctx.req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KilnError('INVALID_ARGUMENT', 'invalid network config: the body must be a JSON object');
  const config = body as Json;
  const { Name: name, Driver: driver = 'bridge', Internal: internal = false, Labels: labels = {} } = config;
  if (typeof name !== 'string' || name === '') throw new KilnError('INVALID_ARGUMENT', 'invalid network config: Name is required');
  if (driver !== 'bridge' && driver !== '') throw new KilnError('INVALID_ARGUMENT', `network driver ${JSON.stringify(driver)} is not supported: kiln has only bridge networks`);
  if (typeof internal !== 'boolean') throw new KilnError('INVALID_ARGUMENT', 'invalid network config: Internal must be a boolean');
  if (typeof labels !== 'object' || labels === null || !Object.values(labels).every((v) => typeof v === 'string')) {
    throw new KilnError('INVALID_ARGUMENT', 'invalid network config: Labels must be a map of strings');
  }
  const ipam = (config['IPAM'] ?? {}) as { Config?: { Subnet?: unknown }[] | null };
  const subnet = Array.isArray(ipam.Config) ? ipam.Config[0]?.Subnet : undefined;
  if (subnet !== undefined && typeof subnet !== 'string') throw new KilnError('INVALID_ARGUMENT', 'invalid network config: IPAM.Config[0].Subnet must be a string');
  const network = await new NetworkStore(engine.root).create({ name, internal, labels: labels as Record<string, string>, ...(subnet === undefined || subnet === '' ? {} : { subnet }) });
  sendJson(res, 201, { Id: network.id, Warning: '' });
}

async function serveRemove(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const text = ctx.params[0] ?? '';
  const builtin = builtins.find((b) => b.name === text || builtinId(engine.root, b.name) === text);
  if (builtin !== undefined) throw new KilnError('DENIED', `${builtin.name} is a pre-defined network and cannot be removed`);
  await new NetworkStore(engine.root).remove(text);
  res.writeHead(204).end();
}

export function networkRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('GET', /^\/networks$/, (ctx, res) => serveList(engine, ctx, res))
    .on('POST', /^\/networks\/create$/, (ctx, res) => serveCreate(engine, ctx, res))
    .on('GET', /^\/networks\/([^/]+)$/, (ctx, res) => serveInspect(engine, ctx, res))
    .on('DELETE', /^\/networks\/([^/]+)$/, (ctx, res) => serveRemove(engine, ctx, res));
}

// Container networking on the CNI reference plugins (bridge, host-local, portmap,
// loopback): networks, attachments of containers to them, and published ports.
export type { Attachment, NetworkConfig, PortMapping } from './types.js';
export { NetworkStore, DEFAULT_NETWORK, type CreateNetworkOptions } from './store.js';
export { attach, releaseEndpoint, type AttachOptions } from './attach.js';
export { hostsEntriesFor, networkEndpoints, type EndpointRecord } from './endpoints.js';
export { parsePublish } from './publish.js';

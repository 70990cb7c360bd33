// kilnd's native network API (`/kiln/v1/networks...`), shared by the daemon and the CLI. The list
// answers with kiln's records (the CLI draws docker's table); inspect answers with docker's
// shape and the attached containers, which is what `kiln network inspect` prints. Names in
// paths are percent-encoded.
import type { NetworkConfig } from '../network/types.js';

export const networksPath = '/kiln/v1/networks';

export function networkPath(name: string): string {
  return `${networksPath}/${encodeURIComponent(name)}`;
}

/** `POST /kiln/v1/networks` body; the answer is the network's record. */
export interface NetworkCreateRequest {
  name: string;
  /** IPv4 CIDR; default a free /16 or /20. */
  subnet?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

/** `GET /kiln/v1/networks`: every network, the default bridge included. */
export type NetworkRecord = NetworkConfig;

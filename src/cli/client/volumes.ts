// The volume commands' calls to the daemon's native volume API (src/api/volumes.ts): one JSON
// request and answer each. On these commands' start-up path: small client modules only.
import type { DaemonAddress } from '../../api/host.js';
import {
  volumePath, volumesPath, volumesPrunePath, type VolumeCreateRequest, type VolumePruneResponse, type VolumeRecord,
} from '../../api/volumes.js';
import { requestJson } from './request.js';

export function createVolume(address: DaemonAddress, request: VolumeCreateRequest): Promise<VolumeRecord> {
  return requestJson(address, 'POST', volumesPath, { body: request });
}

export function listVolumes(address: DaemonAddress): Promise<VolumeRecord[]> {
  return requestJson(address, 'GET', volumesPath);
}

/** docker's view of the volume; an unknown one rejects with NOT_FOUND. */
export function inspectVolume(address: DaemonAddress, name: string): Promise<Record<string, unknown>> {
  return requestJson(address, 'GET', volumePath(name));
}

/** `force`: a volume that does not exist is no error. */
export async function removeVolume(address: DaemonAddress, name: string, force: boolean): Promise<void> {
  await requestJson(address, 'DELETE', `${volumePath(name)}${force ? '?force=true' : ''}`);
}

export function pruneVolumes(address: DaemonAddress, all: boolean): Promise<VolumePruneResponse> {
  return requestJson(address, 'POST', volumesPrunePath, { body: { all } });
}

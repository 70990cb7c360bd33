// The data kiln's container networking works with: a network (one Linux bridge and one IPv4
// subnet, the shape of docker's "bridge" driver), a published port, and a container's
// attachment to a network.

export interface NetworkConfig {
  name: string;
  /** 64 hex characters, like docker's network IDs. */
  id: string;
  driver: 'bridge';
  /** IPv4 CIDR, e.g. 172.30.0.0/16. */
  subnet: string;
  gateway: string;
  /** The Linux bridge: kiln0 for the default network, kiln-<10 hex of the id> otherwise. */
  bridge: string;
  /** No masquerading and no default route: containers reach each other but not the outside. */
  internal?: boolean;
  labels?: Record<string, string>;
  createdAt: string;
}

export interface PortMapping {
  hostIP?: string;
  /** 0 asks attach() for a free ephemeral port, as `-p 80` does in docker. */
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface Attachment {
  /** /var/run/netns/kiln-<container id>, for the runtime spec's network namespace. */
  netnsPath: string;
  ip: string;
  gateway: string;
  mac?: string;
  /** The port mappings in force, with ephemeral host ports resolved. */
  ports: PortMapping[];
  /** Tears the attachment down; idempotent, and also safe after release by someone else. */
  release(): Promise<void>;
}

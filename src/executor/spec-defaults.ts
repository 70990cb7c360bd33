// The fixed parts of a Docker-like default container, as moby's oci/defaults.go and
// daemon/oci_linux.go build them for an unprivileged Linux container, with runc's own
// device defaults (libcontainer/specconv AllowedDevices) for the device cgroup.
import type { OCIDeviceRule, OCIMount, OCIRlimit } from './oci-spec.js';

/** Docker's default capability set: bounding, effective and permitted, never inheritable. */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Host information under /proc and /sys a container must not read: runc bind-mounts /dev/null
 * over files and an empty read-only tmpfs over directories. */
export const maskedPaths: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Kernel knobs a container may read but not change. */
export const readonlyPaths: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

/** Docker's --shm-size default, 64 MiB. */
export const defaultShmBytes = 64 * 1024 * 1024;

/** The kernel filesystems every container gets, in Docker's order. */
export function defaultMounts(): OCIMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm', type: 'tmpfs', source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${defaultShmBytes}`],
    },
  ];
}

function allowChar(major: number, minor?: number): OCIDeviceRule {
  return minor === undefined
    ? { allow: true, type: 'c', major, access: 'rwm' }
    : { allow: true, type: 'c', major, minor, access: 'rwm' };
}

/**
 * The device cgroup: deny everything, then allow what runc allows by default — mknod of any
 * node (using it is still denied), the standard character devices runc creates in /dev,
 * ptys and tun. runc creates the nodes themselves, so linux.devices stays empty.
 */
export function defaultDeviceRules(): OCIDeviceRule[] {
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    allowChar(1, 3), // null
    allowChar(1, 8), // random
    allowChar(1, 7), // full
    allowChar(5, 0), // tty
    allowChar(1, 5), // zero
    allowChar(1, 9), // urandom
    allowChar(136), // /dev/pts/*
    allowChar(5, 2), // ptmx
    allowChar(10, 200), // net/tun
  ];
}

/**
 * Docker sets no rlimits of its own: a container inherits the daemon's (dockerd under
 * containerd's systemd unit gets LimitNOFILE=infinity, i.e. 1048576). kiln does the same —
 * no rlimits in the spec, so a container inherits kilnd's. Writing 1048576 explicitly was
 * tried and fails where kilnd's own hard limit is lower and it may not raise it (this test
 * machine: hard limit 20000, runc: "error setting rlimit type 7: operation not permitted").
 */
export const defaultRlimits: readonly OCIRlimit[] = [];

/** Docker's PATH for an image whose config sets none. */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Docker (20.10+) lets unprivileged processes bind low ports and send ICMP echo in their own
 * network namespace; these are namespaced sysctls, so never set with the host's network.
 */
export const networkNamespaceSysctls: Readonly<Record<string, string>> = {
  'net.ipv4.ip_unprivileged_port_start': '0',
  'net.ipv4.ping_group_range': '0 2147483647',
};

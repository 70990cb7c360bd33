// The network-wide iptables rules of a bridge network (bridge-rules.ts), and the route table
// reader that finds the subnet kiln0 already carries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeRules } from '../../../src/network/bridge-rules.js';
import { formatCidr } from '../../../src/network/cidr.js';
import { parseRouteTable } from '../../../src/network/host-routes.js';
import type { NetworkConfig } from '../../../src/network/types.js';

const network: NetworkConfig = {
  name: 'web', id: 'a'.repeat(64), driver: 'bridge', subnet: '10.9.0.0/24', gateway: '10.9.0.1', bridge: 'kiln-aaaaaaaaaa', createdAt: '',
};

describe('bridgeRules', () => {
  it('masquerades the subnet leaving by another interface and forwards the bridge, as docker does for docker0', () => {
    assert.deepEqual(bridgeRules(network), [
      ['nat', 'POSTROUTING', '-s', '10.9.0.0/24', '!', '-o', 'kiln-aaaaaaaaaa', '-j', 'MASQUERADE'],
      ['filter', 'FORWARD', '-i', 'kiln-aaaaaaaaaa', '-j', 'ACCEPT'],
      ['filter', 'FORWARD', '-o', 'kiln-aaaaaaaaaa', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ]);
  });

  it('keeps an internal network\'s traffic on its bridge', () => {
    assert.deepEqual(bridgeRules({ ...network, internal: true }), [['filter', 'FORWARD', '-i', 'kiln-aaaaaaaaaa', '-o', 'kiln-aaaaaaaaaa', '-j', 'ACCEPT']]);
  });
});

describe('parseRouteTable', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'kiln0\t00001EAC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');

  it('reads every routed subnet but the default route, or those of one interface', () => {
    assert.deepEqual(parseRouteTable(table).map(formatCidr), ['192.168.1.0/24', '172.30.0.0/16']);
    assert.deepEqual(parseRouteTable(table, 'kiln0').map(formatCidr), ['172.30.0.0/16']);
  });
});

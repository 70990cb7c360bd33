import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstFree, formatCidr, gatewayOf, parseCidr, poolSubnets } from '../../../src/network/cidr.js';
import { parseRouteTable } from '../../../src/network/host-routes.js';
import { parsePublish } from '../../../src/network/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

describe('parsePublish', () => {
  it('reads docker -p forms', () => {
    assert.deepEqual(parsePublish('8080:80'), [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('80'), [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' }]);
    assert.deepEqual(parsePublish('127.0.0.1::80'), [{ hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(parsePublish('[::1]:53:53/UDP'), [{ hostIP: '::1', hostPort: 53, containerPort: 53, protocol: 'udp' }]);
  });

  it('expands ranges pairwise', () => {
    assert.deepEqual(parsePublish('8000-8001:80-81'), [
      { hostPort: 8000, containerPort: 80, protocol: 'tcp' },
      { hostPort: 8001, containerPort: 81, protocol: 'tcp' },
    ]);
    assert.deepEqual(parsePublish('90-91').map((m) => m.containerPort), [90, 91]);
  });

  it('rejects bad specs naming the spec', () => {
    for (const bad of ['', 'x', '0', '70000', '80/sctp', '1:2:3:4', '8000-8002:80-81', '9-8', '[::1:80:80']) {
      const err = kilnErrorOf(() => parsePublish(bad));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, new RegExp(`"${bad.replace(/[[\]]/g, '\\$&')}"`));
    }
  });
});

describe('subnets', () => {
  it('parses, formats and refuses host bits', () => {
    const net = parseCidr('10.1.2.0/24');
    assert.equal(formatCidr(net), '10.1.2.0/24');
    assert.equal(gatewayOf(net), '10.1.2.1');
    assert.match(kilnErrorOf(() => parseCidr('10.1.2.3/24')).hint ?? '', /10\.1\.2\.0\/24/);
    assert.equal(kilnErrorOf(() => parseCidr('10.1.2.0')).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => parseCidr('300.1.2.0/24')).code, 'INVALID_ARGUMENT');
  });

  it('skips pool subnets that overlap what is taken', () => {
    const taken = [parseCidr('172.17.5.0/24'), parseCidr('172.18.0.0/15')];
    assert.equal(formatCidr(firstFree(poolSubnets(), taken) ?? { base: 0, prefix: 0 }), '172.20.0.0/16');
  });

  it('reads /proc/net/route without the default route', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    assert.deepEqual(parseRouteTable(table).map(formatCidr), ['192.0.2.0/24', '172.17.0.0/16']);
  });
});

// WWW-Authenticate parsing, the insecure-registry policy and Retry-After: the small pure
// pieces under the registry transport.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseChallenges, preferredChallenge } from '../../../src/registry/challenge.js';
import { InsecurePolicy } from '../../../src/registry/insecure.js';
import { backoffDelay, parseRetryAfter } from '../../../src/registry/retry.js';

describe('parseChallenges', () => {
  test('Docker Hub bearer challenge with a scope holding a comma', () => {
    const header =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"';
    assert.deepEqual(parseChallenges(header), [{
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull,push' },
    }]);
  });

  test('Basic challenge as distribution htpasswd sends it', () => {
    assert.deepEqual(parseChallenges('Basic realm="kiln-test"'), [{ scheme: 'basic', params: { realm: 'kiln-test' } }]);
  });

  test('several challenges in one header, tokens, spaces and escaped quotes', () => {
    const header = 'Basic realm="a \\"b\\", c" , BEARER  realm = "https://t/x" ,service=reg, error=invalid_token';
    assert.deepEqual(parseChallenges(header), [
      { scheme: 'basic', params: { realm: 'a "b", c' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', service: 'reg', error: 'invalid_token' } },
    ]);
  });

  test('token68 and parameterless challenges, empty list elements', () => {
    assert.deepEqual(parseChallenges('Negotiate abc/def==, , Bearer'), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: {} },
    ]);
  });

  test('an unterminated quoted string takes the rest', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://x'), [{ scheme: 'bearer', params: { realm: 'https://x' } }]);
  });

  test('preferredChallenge picks Bearer over Basic across header lines', () => {
    assert.equal(preferredChallenge(['Basic realm="r"', 'Bearer realm="https://t"'])?.scheme, 'bearer');
    assert.equal(preferredChallenge('Basic realm="r"')?.scheme, 'basic');
    assert.equal(preferredChallenge(undefined), undefined);
    assert.equal(preferredChallenge('Digest realm="r"'), undefined);
  });

  test('quoted values round-trip whatever they hold', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\\', ' ', '=', ':') }), (value) => {
        const quoted = `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        const [challenge] = parseChallenges(`Bearer realm=${quoted}, service=s`);
        assert.deepEqual(challenge?.params, { realm: value, service: 's' });
      }),
    );
  });

  test('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseChallenges(text)));
  });
});

describe('InsecurePolicy', () => {
  test('loopback hosts are always allowed', () => {
    const policy = new InsecurePolicy();
    for (const host of ['localhost:5000', '127.0.0.1:5000', '127.3.2.1', '[::1]:5000', 'foo.localhost']) {
      assert.equal(policy.allows(host), true, host);
    }
    assert.equal(policy.allows('registry.example.com'), false);
    assert.equal(policy.allows('10.1.2.3:5000'), false);
  });

  test('host, host:port and CIDR entries', () => {
    const policy = new InsecurePolicy(['reg.lan', 'other.lan:5000', '10.0.0.0/8', 'fd00::/8']);
    assert.equal(policy.allows('reg.lan:443'), true);
    assert.equal(policy.allows('other.lan:5000'), true);
    assert.equal(policy.allows('other.lan:5001'), false);
    assert.equal(policy.allows('10.20.30.40:5000'), true);
    assert.equal(policy.allows('11.0.0.1:5000'), false);
    assert.equal(policy.allows('[fd12::1]:5000'), true);
  });
});

describe('retry timing', () => {
  test('Retry-After in seconds or as a date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('backoff grows, is capped, and honours Retry-After', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
      const delay = backoffDelay(policy, attempt);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${attempt}: ${delay}`);
    }
    assert.ok(backoffDelay(policy, 1, 5000) >= 5000);
  });
});

// The small value grammars of the instruction layer, checked against Go's behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseGoDuration, DurationError } from '../../../src/dockerfile/instructions/duration.js';
import { csvFields, CsvError } from '../../../src/dockerfile/instructions/csv.js';
import { parseGoBool, parseRamBytes, parseUint32 } from '../../../src/dockerfile/instructions/goparse.js';
import { parsePorts, PortError, splitPort } from '../../../src/dockerfile/instructions/ports.js';
import { parseSignal } from '../../../src/dockerfile/instructions/signals.js';
import { imageReferenceProblem } from '../../../src/dockerfile/instructions/reference.js';
import { didYouMean, editDistance, suggest } from '../../../src/dockerfile/instructions/suggest.js';
import { parseChmod } from '../../../src/dockerfile/instructions/copy.js';

test('Go durations: units, fractions, sums and signs', () => {
  assert.equal(parseGoDuration('30s'), 30_000_000_000n);
  assert.equal(parseGoDuration('1m30s'), 90_000_000_000n);
  assert.equal(parseGoDuration('1.5h'), 5_400_000_000_000n);
  assert.equal(parseGoDuration('500ms'), 500_000_000n);
  assert.equal(parseGoDuration('10us'), 10_000n);
  assert.equal(parseGoDuration('10µs'), 10_000n);
  assert.equal(parseGoDuration('.5s'), 500_000_000n);
  assert.equal(parseGoDuration('1.s'), 1_000_000_000n);
  assert.equal(parseGoDuration('0'), 0n);
  assert.equal(parseGoDuration('-2s'), -2_000_000_000n);
  assert.equal(parseGoDuration('+3ns'), 3n);
});

test('Go durations: what Go rejects', () => {
  assert.throws(() => parseGoDuration('30'), (err: Error) => err instanceof DurationError && err.message === 'missing unit in duration "30"');
  assert.throws(() => parseGoDuration('1h30'), /missing unit in duration "1h30"/);
  for (const bad of ['', 's', '.s', '5x', '1d', 'abc', '--1s', '3000000h']) {
    assert.throws(() => parseGoDuration(bad), DurationError, bad);
  }
});

test('Go durations round-trip whole seconds and milliseconds', () => {
  fc.assert(
    fc.property(fc.nat(1_000_000), fc.nat(999), (s, ms) => parseGoDuration(`${s}s${ms}ms`) === BigInt(s) * 1_000_000_000n + BigInt(ms) * 1_000_000n),
  );
});

test('CSV fields as Go reads them', () => {
  assert.deepEqual(csvFields('type=cache,target=/root/.cache'), ['type=cache', 'target=/root/.cache']);
  assert.deepEqual(csvFields('"target=/a,b",ro'), ['target=/a,b', 'ro']);
  assert.deepEqual(csvFields('"say ""hi""",x'), ['say "hi"', 'x']);
  assert.deepEqual(csvFields('a,'), ['a', '']);
  assert.deepEqual(csvFields('a,,b'), ['a', '', 'b']);
  assert.throws(() => csvFields(''), CsvError);
  assert.throws(() => csvFields('target="/a b"'), /bare "/);
  assert.throws(() => csvFields('"abc'), CsvError);
  assert.throws(() => csvFields('"abc"d'), CsvError);
});

test('CSV: plain fields without quotes or commas survive a join and split', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'b', '=', '/', '.', ' ', '-') });
  fc.assert(fc.property(fc.array(field, { minLength: 1 }), (fields) => {
    fc.pre(fields.join(',') !== '');
    assert.deepEqual(csvFields(fields.join(',')), fields);
  }));
});

test('strconv.ParseBool, ParseUint and go-units RAMInBytes', () => {
  assert.equal(parseGoBool('True'), true);
  assert.equal(parseGoBool('0'), false);
  assert.equal(parseGoBool('yes'), undefined);
  assert.equal(parseGoBool('TRUE'), true);
  assert.equal(parseGoBool('tRUE'), undefined);
  assert.equal(parseUint32('0755', 8), 0o755);
  assert.equal(parseUint32('0789', 8), undefined);
  assert.equal(parseUint32('4294967295', 10), 4294967295);
  assert.equal(parseUint32('4294967296', 10), undefined);
  assert.equal(parseUint32('-1', 10), undefined);
  assert.equal(parseRamBytes('64m'), 64 * 2 ** 20);
  assert.equal(parseRamBytes('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseRamBytes('512 kb'), 512 * 1024);
  assert.equal(parseRamBytes('100'), 100);
  assert.equal(parseRamBytes('100b'), 100);
  assert.equal(parseRamBytes('1x'), undefined);
  assert.equal(parseRamBytes('1mbb'), undefined);
  assert.equal(parseRamBytes('m'), undefined);
});

test('EXPOSE ports: ranges, protocols and the legacy host forms', () => {
  assert.deepEqual(parsePorts(['80']), ['80/tcp']);
  assert.deepEqual(parsePorts(['53/UDP', '8000-8002/tcp']), ['53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  assert.deepEqual(parsePorts(['127.0.0.1:8080:80']), ['80/tcp']);
  assert.deepEqual(parsePorts(['[::1]:8080:80/sctp']), ['80/sctp']);
  assert.deepEqual(splitPort('1.2.3.4:80:81/TCP'), { ip: '1.2.3.4', hostPort: '80', containerPort: '81', proto: 'TCP' });
  assert.throws(() => parsePorts(['80/tcpx']), (err: Error) => err instanceof PortError && /invalid proto: tcpx/.test(err.message));
  assert.throws(() => parsePorts(['http']), /invalid containerPort: http/);
  assert.throws(() => parsePorts(['70000']), PortError);
  assert.throws(() => parsePorts(['90-80']), PortError);
  assert.throws(() => parsePorts(['/tcp']), /no port specified/);
  assert.throws(() => parsePorts(['nothost:80:80']), /invalid IP address/);
});

test('STOPSIGNAL names and numbers', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.equal(parseSignal('RTMAX-1'), 63);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('0'), undefined);
  assert.equal(parseSignal('65'), undefined);
  assert.equal(parseSignal('SIGFOO'), undefined);
});

test('image references', () => {
  for (const ok of ['alpine', 'alpine:3.20', 'docker.io/library/alpine:3', 'localhost:5000/a/b:c', `ghcr.io/o/r@sha256:${'a'.repeat(64)}`, 'my_repo/x-y', '[::1]:5000/img']) {
    assert.equal(imageReferenceProblem(ok), undefined, ok);
  }
  assert.equal(imageReferenceProblem('Ubuntu'), 'repository name must be lowercase');
  assert.equal(imageReferenceProblem('a:b:c'), 'invalid reference format');
  assert.equal(imageReferenceProblem('alpine:'), 'invalid tag');
  assert.equal(imageReferenceProblem('alpine@sha256:xyz'), 'invalid digest');
  assert.equal(imageReferenceProblem('-x'), 'invalid reference format');
});

test('did-you-mean uses edit distance below 3 and keeps the typed casing', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(suggest('RUNN', ['ADD', 'RUN', 'CMD'], false), 'RUN');
  assert.equal(suggest('runn', ['ADD', 'RUN', 'CMD'], false), 'run');
  assert.equal(suggest('xyzzy', ['ADD', 'RUN'], false), undefined);
  assert.equal(suggest('RUN', ['RUN'], false), undefined);
  assert.equal(didYouMean('--form', ['--from', '--chown']), 'did you mean --from?');
});

test('chmod values: octal up to 07777 or a symbolic mode', () => {
  assert.deepEqual(parseChmod('755'), { mode: 0o755 });
  assert.deepEqual(parseChmod('04755'), { mode: 0o4755 });
  assert.deepEqual(parseChmod('u+x,go-w'), { symbolic: 'u+x,go-w' });
  assert.deepEqual(parseChmod('a=rX'), { symbolic: 'a=rX' });
  assert.equal(parseChmod('17777'), undefined);
  assert.equal(parseChmod('0o755'), undefined);
  assert.equal(parseChmod('u+q'), undefined);
  assert.equal(parseChmod('u+x,'), undefined);
});

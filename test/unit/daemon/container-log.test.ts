// The json-file log: docker's line format, partial lines held until their newline, reading
// on from an offset (what `logs -f` does), and the signal names `kill` and `stop` send.
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSignal } from '../../../src/daemon/containers/signals.js';
import { JsonFileLog, logPathOf, readLogEntries, rfc3339Nano } from '../../../src/daemon/containers/log-file.js';
import { kilnErrorOf } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = await tempDir('container-log');

describe('json-file container log', () => {
  it('formats times as Go\'s RFC3339Nano in UTC, trailing zeros dropped', () => {
    const date = new Date('2026-01-02T03:04:05.120Z');
    assert.equal(rfc3339Nano(date, 345600), '2026-01-02T03:04:05.1203456Z');
    assert.equal(rfc3339Nano(new Date('2026-01-02T03:04:05.000Z')), '2026-01-02T03:04:05Z');
  });

  it('writes one entry per whole line, per stream, and the rest at close', async () => {
    const path = logPathOf(dir, 'a'.repeat(64));
    assert.equal(path, join(dir, `${'a'.repeat(64)}-json.log`));
    const log = new JsonFileLog(path);
    const seen: Buffer[] = [];
    const stdout = log.tee('stdout');
    stdout.write(Buffer.from('hel'));
    stdout.write(Buffer.from('lo\nwor'));
    log.write('stderr', Buffer.from('oops\n'));
    // A UTF-8 character split between two chunks stays whole.
    const euro = Buffer.from('€\n');
    log.write('stderr', euro.subarray(0, 1));
    log.write('stderr', euro.subarray(1));
    stdout.write(Buffer.from('ld'), () => seen.push(Buffer.alloc(0)));
    await log.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(lines.map(({ log: text, stream }) => [stream, text]), [
      ['stdout', 'hello\n'], ['stderr', 'oops\n'], ['stderr', '€\n'], ['stdout', 'world'],
    ]);
    for (const line of lines) assert.match(line.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(seen.length, 1);
  });

  it('reads on from an offset, leaving a line without its newline for the next read', async () => {
    const path = join(dir, 'follow.log');
    assert.deepEqual(await readLogEntries(path), { entries: [], next: 0 });
    const first = `${JSON.stringify({ log: 'one\n', stream: 'stdout', time: 't1' })}\n`;
    const second = JSON.stringify({ log: 'two\n', stream: 'stderr', time: 't2' });
    await appendFile(path, first + second.slice(0, 10));
    const read = await readLogEntries(path);
    assert.deepEqual(read.entries.map((e) => e.log), ['one\n']);
    assert.equal(read.next, Buffer.byteLength(first));
    await appendFile(path, `${second.slice(10)}\n`);
    const more = await readLogEntries(path, read.next);
    assert.deepEqual(more.entries, [{ log: 'two\n', stream: 'stderr', time: 't2' }]);
  });
});

describe('parseSignal', () => {
  it('takes names with or without SIG, any case, and numbers', () => {
    assert.equal(parseSignal('KILL'), 'SIGKILL');
    assert.equal(parseSignal('sigusr1'), 'SIGUSR1');
    assert.equal(parseSignal('15'), 'SIGTERM');
  });

  it('refuses what is no signal', () => {
    assert.equal(kilnErrorOf(() => parseSignal('NOPE')).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => parseSignal('999')).code, 'INVALID_ARGUMENT');
  });
});

// `kiln build` says why each step that runs was not cached (issue 5), on the busybox fixture:
// a changed file names the file on its COPY and the previous step on the RUN after it, a
// changed ARG names the ARG (never its value in the reason), and --no-cache says so.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

describe('kiln build explains misses', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-explain');
  const context = await tempDir('explain-context');
  await mkdir(join(context, 'app'));
  await writeFile(join(context, 'app', 'main.txt'), 'one\n');
  await writeFile(join(context, 'app', 'other.txt'), 'two\n');
  await writeFile(join(context, 'Dockerfile'), [
    'FROM busybox:1',
    'ARG FLAVOUR=plain',
    'COPY app/ /app/',
    'RUN cat /app/main.txt > /built.txt',
    'RUN echo "$FLAVOUR" > /flavour.txt',
    '',
  ].join('\n'));
  await delay(150);

  /** `#N not cached: ...` lines by the step's name. */
  const reasons = (stderr: string): Map<string, string> => {
    const names = new Map<string, string>();
    const out = new Map<string, string>();
    for (const line of stderr.split('\n')) {
      const match = /^#(\d+) (.*)$/.exec(line);
      if (match?.[1] === undefined || match[2] === undefined) continue;
      if (!names.has(match[1])) names.set(match[1], match[2]);
      else if (match[2].startsWith('not cached: ')) out.set(names.get(match[1])?.replace(/^\[\s*\d+\/\d+\] /, '') ?? '', match[2].slice('not cached: '.length));
    }
    return out;
  };
  const build = async (...flags: string[]): Promise<Map<string, string>> => {
    const built = await user.kiln(['build', '--progress=plain', ...flags, context]);
    assert.equal(built.status, 0, built.stderr);
    const found = reasons(built.stderr);
    // Step names show expanded values as BuildKit's do; the reasons never do.
    assert.doesNotMatch([...found.values()].join('\n'), /spicy|mild/);
    return found;
  };

  it('names the changed file on the COPY and the previous step on the RUN after it', async () => {
    const first = await build('--build-arg', 'FLAVOUR=spicy');
    assert.equal(first.get('COPY app/ /app/'), 'no earlier build of this step');
    await writeFile(join(context, 'app', 'main.txt'), 'changed\n');
    await delay(150);
    const changed = await build('--build-arg', 'FLAVOUR=spicy');
    assert.equal(changed.get('COPY app/ /app/'), 'file app/main.txt changed');
    assert.match(changed.get('RUN cat /app/main.txt > /built.txt') ?? '', /^the previous step was not cached \(#\d+\)$/);
  });

  it('names a changed ARG without its value, and says --no-cache', async () => {
    const other = await build('--build-arg', 'FLAVOUR=mild');
    assert.equal(other.get('RUN echo "mild" > /flavour.txt'), 'ARG FLAVOUR changed');
    assert.equal(other.get('COPY app/ /app/'), undefined, 'the COPY is cached');
    const all = await build('--build-arg', 'FLAVOUR=mild', '--no-cache');
    assert.equal(all.get('COPY app/ /app/'), '--no-cache');
    assert.equal(all.get('RUN echo "mild" > /flavour.txt'), '--no-cache');
  });

  it('carries the reason in the rawjson stream', async () => {
    await writeFile(join(context, 'app', 'new.txt'), 'new\n');
    await delay(150);
    const built = await user.kiln(['build', '--progress=rawjson', '--build-arg', 'FLAVOUR=mild', context]);
    assert.equal(built.status, 0, built.stderr);
    const events = built.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { name: string; reason?: string });
    assert.ok(events.some((e) => e.name.includes('COPY app/ /app/') && e.reason === 'file app/new.txt added'), built.stderr);
  });
});

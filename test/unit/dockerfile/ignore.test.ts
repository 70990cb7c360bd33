import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PatternMatcher,
  loadIgnoreFile,
  parseIgnoreFile,
  walkContext,
  type IgnorePattern,
} from '../../../src/dockerfile/ignore.js';
import { KilnError } from '../../../src/util/errors.js';
import { formatError } from '../../../src/util/format-error.js';

interface Case {
  patterns: string[];
  path: string;
  expected: boolean;
  why: string;
}

const casesUrl = new URL('../../../fixtures/dockerignore/cases.json', import.meta.url);
const cases = (JSON.parse(readFileSync(casesUrl, 'utf8')) as { rows: Case[] }).rows;

function matcherFor(lines: string[]): PatternMatcher {
  return new PatternMatcher(parseIgnoreFile(lines.join('\n')));
}

function located(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return err;
  }
  assert.fail('expected an error');
}

describe('Docker matching rules (fixtures/dockerignore/cases.json)', () => {
  test('the table is large enough to pin the rules', () => {
    assert.ok(cases.length >= 60, `only ${cases.length} rows`);
  });
  for (const row of cases) {
    test(`${JSON.stringify(row.patterns)} ${row.expected ? 'excludes' : 'keeps'} ${JSON.stringify(row.path)}: ${row.why}`, () => {
      assert.equal(matcherFor(row.patterns).matches(row.path), row.expected);
    });
  }
});

describe('parseIgnoreFile', () => {
  test('skips comments and blanks, cleans, drops the leading slash, numbers lines', () => {
    const text = '# comment\n\n/foo/\n! bar/./baz\n  *.log  \n';
    assert.deepEqual(parseIgnoreFile(text), [
      { pattern: 'foo', exclusion: false, line: 3 },
      { pattern: 'bar/baz', exclusion: true, line: 4 },
      { pattern: '*.log', exclusion: false, line: 5 },
    ] satisfies IgnorePattern[]);
  });

  test('strips a byte-order mark on the first line only', () => {
    assert.deepEqual(parseIgnoreFile('\uFEFF# comment\nx'), [{ pattern: 'x', exclusion: false, line: 2 }]);
    // Go's TrimSpace keeps U+FEFF, so a mark further down is part of the pattern.
    assert.deepEqual(parseIgnoreFile('x\n\uFEFFy'), [
      { pattern: 'x', exclusion: false, line: 1 },
      { pattern: '\uFEFFy', exclusion: false, line: 2 },
    ]);
  });

  test('a bare "!" is an error at file:line:column with the line and a caret', () => {
    const err = located(() => parseIgnoreFile('node_modules\n\n  !  \n', 'ctx/.dockerignore'));
    assert.deepEqual(err.details.source, {
      file: 'ctx/.dockerignore',
      range: { start: { line: 3, column: 3 }, end: { line: 3, column: 4 } },
      text: '  !  ',
    });
    assert.match(err.message, /"!"/);
    assert.ok(err.hint);
    assert.equal(formatError(err).split('\n')[0], `ctx/.dockerignore:3:3: ${err.message}`);
    assert.match(formatError(err), /\n 3 \|   !  \n   \|   \^\n/);
  });

  test('"!/" cleans to a bare "!" and fails the same way, as in Docker', () => {
    const err = located(() => parseIgnoreFile('a\n!/'));
    assert.equal(err.details.source?.range.start.line, 2);
    assert.match(err.message, /"!"/);
  });

  test('a bad pattern is reported at its line, over the whole pattern', () => {
    const err = located(() => parseIgnoreFile('ok\n\tsrc/[abc\n', 'x/.dockerignore'));
    assert.deepEqual(err.details.source, {
      file: 'x/.dockerignore',
      range: { start: { line: 2, column: 2 }, end: { line: 2, column: 10 } },
      text: '\tsrc/[abc',
    });
    assert.match(err.message, /unterminated character class/);
  });

  // Go's filepath.Match rejects all of these (ErrBadPattern); the last two Docker only rejects
  // when it first matches (its regexp refuses a reversed range), we reject them on reading.
  const badPatterns = ['[', 'a[', '[^', '[^bc', '[]a]', '[-]', '[x-]', '[-x]', '\\', 'a\\', '[a-b-c]', '[\\', 'x/[y', '*[', '[*', '[]]', '[z-a]', '[Local-Only]/'];
  for (const pattern of badPatterns) {
    test(`rejects ${JSON.stringify(pattern)} while reading`, () => {
      const err = located(() => parseIgnoreFile(`a\n${pattern}`));
      assert.equal(err.details.source?.range.start.line, 2);
      assert.equal(err.details.source?.text, pattern);
      assert.throws(() => new PatternMatcher([pattern]), (e: unknown) => e instanceof KilnError && e.details.source === undefined);
    });
  }

  test('accepts classes that filepath.Match accepts, with its meaning', () => {
    assert.equal(new PatternMatcher(['[*]']).matches('*'), true);
    assert.equal(new PatternMatcher(['[?]']).matches('x'), false);
    assert.equal(new PatternMatcher(['[\\]]']).matches(']'), true);
  });
});

describe('PatternMatcher', () => {
  test('takes strings as Docker\'s matcher does: trimmed, cleaned, "!" split off', () => {
    const m = new PatternMatcher(['  docs/ ', '!docs/README.md', '']);
    assert.equal(m.exclusions, true);
    assert.equal(m.matches('docs/a.md'), true);
    assert.equal(m.matches('docs/README.md'), false);
    // No leading "/" is dropped outside an ignore file, so this never matches a context path.
    assert.equal(new PatternMatcher(['/foo']).matches('foo'), false);
    assert.throws(() => new PatternMatcher(['!']), KilnError);
  });

  test('exclusions is false without "!" lines', () => {
    assert.equal(new PatternMatcher(['a', 'b/**']).exclusions, false);
    assert.equal(new PatternMatcher([]).exclusions, false);
  });

  test('accepts parsed patterns and strings alike', () => {
    const parsed = parseIgnoreFile('*.md\n!README.md');
    assert.equal(new PatternMatcher(parsed).matches('README.md'), false);
    assert.equal(new PatternMatcher(['*.md', '!README.md']).matches('README.md'), false);
  });

  test('never excludes the context root, and cleans the queried path', () => {
    const m = new PatternMatcher(['**']);
    assert.equal(m.matches('.'), false);
    assert.equal(m.matches(''), false);
    assert.equal(m.matches('/'), false);
    const foo = new PatternMatcher(['foo']);
    assert.equal(foo.matches('/foo'), true);
    assert.equal(foo.matches('foo/'), true);
    assert.equal(foo.matches('./foo/./x'), true);
  });
});

describe('PatternMatcher.canSkipDir', () => {
  const skip = (patterns: string[], dir: string): boolean => new PatternMatcher(patterns).canSkipDir(dir);

  test('an excluded directory with no exceptions can be skipped', () => {
    assert.equal(skip(['node_modules'], 'node_modules'), true);
    assert.equal(skip(['node_modules'], 'src'), false);
    assert.equal(skip(['*'], 'a/b'), true);
  });

  test('not when an exception could re-include something below it', () => {
    assert.equal(skip(['docs', '!docs/README.md'], 'docs'), false);
    assert.equal(skip(['docs', '!**/*.md'], 'docs'), false);
    assert.equal(skip(['docs', '!d*/x'], 'docs'), false);
    assert.equal(skip(['*', '!*/keep'], 'a'), false);
  });

  test('yes when every exception is elsewhere, too shallow or earlier', () => {
    assert.equal(skip(['docs', '!src/keep'], 'docs'), true);
    assert.equal(skip(['*', '!*/keep'], 'a/b'), true);
    assert.equal(skip(['!docs/x', 'docs'], 'docs'), true);
    assert.equal(skip(['docs', '!docs/a/x'], 'docs/b'), true);
    assert.equal(skip(['docs', '!docs/a/x'], 'docs/a'), false);
  });

  test('not when the directory is not excluded at all', () => {
    assert.equal(skip(['docs', '!docs'], 'docs'), false);
    assert.equal(skip([], 'docs'), false);
    assert.equal(skip(['**'], '.'), false);
  });
});

describe('loadIgnoreFile', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-ignore-load-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function tree(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  test('reads <context>/.dockerignore when there is no per-Dockerfile file', async () => {
    const ctx = await tree('plain', { '.dockerignore': 'node_modules\n', Dockerfile: 'FROM scratch\n' });
    const found = await loadIgnoreFile(ctx, join(ctx, 'Dockerfile'));
    assert.deepEqual(found, { file: join(ctx, '.dockerignore'), patterns: [{ pattern: 'node_modules', exclusion: false, line: 1 }] });
  });

  test('<Dockerfile>.dockerignore next to the Dockerfile wins', async () => {
    const ctx = await tree('override', {
      '.dockerignore': 'root-rule\n',
      'build/app.Dockerfile': 'FROM scratch\n',
      'build/app.Dockerfile.dockerignore': '*\n!src\n',
      'build/Dockerfile.dockerignore': 'other-dockerfile\n',
    });
    const found = await loadIgnoreFile(ctx, join(ctx, 'build/app.Dockerfile'));
    assert.equal(found?.file, join(ctx, 'build/app.Dockerfile.dockerignore'));
    assert.deepEqual(found?.patterns.map((p) => p.pattern), ['*', 'src']);
  });

  test('an empty override still wins over the context file', async () => {
    const ctx = await tree('empty-override', { '.dockerignore': 'x\n', 'Dockerfile.dockerignore': '' });
    const found = await loadIgnoreFile(ctx, join(ctx, 'Dockerfile'));
    assert.deepEqual(found, { file: join(ctx, 'Dockerfile.dockerignore'), patterns: [] });
  });

  test('the Dockerfile may live outside the context', async () => {
    const ctx = await tree('outside/ctx', { '.dockerignore': 'x\n' });
    await tree('outside/df', { 'web.Dockerfile.dockerignore': 'y\n' });
    const found = await loadIgnoreFile(ctx, join(root, 'outside/df/web.Dockerfile'));
    assert.deepEqual(found?.patterns, [{ pattern: 'y', exclusion: false, line: 1 }]);
  });

  test('a Dockerfile from stdin uses the context file', async () => {
    const ctx = await tree('stdin', { '.dockerignore': 'x\n' });
    assert.equal((await loadIgnoreFile(ctx, '-'))?.file, join(ctx, '.dockerignore'));
  });

  test('undefined when neither file exists; a directory named .dockerignore does not count', async () => {
    const ctx = await tree('none', { Dockerfile: 'FROM scratch\n', '.dockerignore/inner': '' });
    assert.equal(await loadIgnoreFile(ctx, join(ctx, 'Dockerfile')), undefined);
  });

  test('a bad line is located in the file that was read', async () => {
    const ctx = await tree('bad', { 'Dockerfile.dockerignore': 'ok\n!\n' });
    const file = join(ctx, 'Dockerfile.dockerignore');
    await assert.rejects(loadIgnoreFile(ctx, join(ctx, 'Dockerfile')), (err: unknown) => {
      return err instanceof KilnError && err.details.source?.file === file && err.details.source.range.start.line === 2;
    });
  });
});

describe('walkContext', () => {
  let ctx = '';
  before(async () => {
    ctx = await mkdtemp(join(tmpdir(), 'kiln-ignore-walk-'));
    const files = [
      'Dockerfile', 'a.txt', 'src/main.go', 'src/util/u.go', 'docs/README.md', 'docs/guide/a.md',
      'node_modules/pkg/index.js', 'node_modules/pkg/lib/deep.js', 'build/out.bin', 'build/keep/k.txt',
      'vendor/a/b.go', 'vendor/a/c.txt', 'vendor/x.txt', 'empty-kept/.keep',
    ];
    for (const file of files) {
      await mkdir(join(ctx, file, '..'), { recursive: true });
      await writeFile(join(ctx, file), file);
    }
    await mkdir(join(ctx, 'emptydir'));
    await symlink('src', join(ctx, 'link'));
  });
  after(async () => {
    await rm(ctx, { recursive: true, force: true });
  });

  class RecordingMatcher extends PatternMatcher {
    readonly asked: string[] = [];
    override matches(path: string): boolean {
      this.asked.push(path);
      return super.matches(path);
    }
  }

  test('lists kept entries in walk order, re-including below excluded directories', async () => {
    const matcher = new RecordingMatcher([
      'node_modules', 'docs', '!docs/README.md', 'build', '!build/keep', 'vendor', '!vendor/**/*.go', 'empty-kept/.keep',
    ]);
    assert.deepEqual(await walkContext(ctx, matcher), [
      'Dockerfile', 'a.txt', 'build', 'build/keep', 'build/keep/k.txt', 'docs', 'docs/README.md', 'empty-kept',
      'emptydir', 'link', 'src', 'src/main.go', 'src/util', 'src/util/u.go', 'vendor', 'vendor/a', 'vendor/a/b.go',
    ]);
    // node_modules has no exception that can reach inside it, so the walk never opened it.
    assert.ok(matcher.asked.includes('node_modules'));
    assert.ok(!matcher.asked.some((p) => p.startsWith('node_modules/')), matcher.asked.join(','));
    // A wildcard exception forces the walk into vendor/, but docs/guide/ is provably dead.
    assert.ok(matcher.asked.includes('vendor/a/c.txt'));
    assert.ok(!matcher.asked.includes('docs/guide/a.md'));
  });

  test('does not follow symlinks', async () => {
    const kept = await walkContext(ctx, new PatternMatcher([]));
    assert.ok(kept.includes('link'));
    assert.ok(!kept.some((p) => p.startsWith('link/')));
    assert.equal(kept.length, 28);
  });

  test('an exclude-everything file with one exception keeps just that path and its parents', async () => {
    assert.deepEqual(await walkContext(ctx, matcherFor(['*', '!src/util/u.go'])), ['src', 'src/util', 'src/util/u.go']);
  });

  test('a missing context is a NOT_FOUND KilnError', async () => {
    await assert.rejects(walkContext(join(ctx, 'nope'), new PatternMatcher([])), (err: unknown) => {
      return err instanceof KilnError && err.code === 'NOT_FOUND' && err.message.includes('nope');
    });
  });
});

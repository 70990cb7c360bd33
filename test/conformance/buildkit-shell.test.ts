// BuildKit's own word-expansion tables (frontend/dockerfile/shell/envVarTest and wordsTest),
// read the way its lex_test.go reads them; the format is in the corpus's FORMAT.md. Every line
// that applies to unix is its own test, and the counts are checked so that a parsing slip
// cannot skip lines silently.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExpansionError, ShellLex } from '../../src/dockerfile/words.js';
import { isSpace } from '../../src/dockerfile/words-scanner.js';

const corpus = new URL('../../../shared/conformance/buildkit-shell/', import.meta.url);

// The corpus as of BuildKit 73ed6825: a changed corpus must be looked at, not absorbed.
const EXPECTED_ENV_VAR_LINES = 228;
const EXPECTED_WORDS_LINES = 24;

function readCorpus(name: string): string[] {
  const path = fileURLToPath(new URL(name, corpus));
  assert.ok(existsSync(path), `conformance corpus missing: ${path}`);
  return readFileSync(path, 'utf8').split('\n');
}

/** Go's strings.TrimSpace, as the Go test trims (JS's trim() also strips U+FEFF). */
function trimSpace(text: string): string {
  const chars = Array.from(text);
  const blank = (ch: string | undefined): boolean => ch !== undefined && isSpace(ch.codePointAt(0) ?? 0);
  while (blank(chars[0])) chars.shift();
  while (blank(chars[chars.length - 1])) chars.pop();
  return chars.join('');
}

function trimLeftSpaces(text: string): string {
  return text.replace(/^ +/, '');
}

/** The expansion, or the one-word list `error` when it fails with an ExpansionError. */
function outcome<T>(run: () => T): T | 'error' {
  try {
    return run();
  } catch (err) {
    if (err instanceof ExpansionError) return 'error';
    throw err;
  }
}

interface EnvVarCase {
  line: number;
  platform: string;
  input: string;
  expected: string;
}

function envVarCases(): EnvVarCase[] {
  const cases: EnvVarCase[] = [];
  readCorpus('envVarTest').forEach((raw, index) => {
    if (raw.startsWith('#')) return;
    const text = trimSpace(raw);
    if (text === '') return;
    const parts = text.split('|');
    assert.equal(parts.length, 3, `envVarTest:${index + 1}: expected 3 fields: ${JSON.stringify(raw)}`);
    const [platform, input, expected] = parts.map(trimSpace) as [string, string, string];
    assert.match(platform, /^[AUW]$/, `envVarTest:${index + 1}: platform`);
    cases.push({ line: index + 1, platform, input, expected });
  });
  return cases;
}

describe('BuildKit envVarTest (ProcessWord)', () => {
  const all = envVarCases();
  const cases = all.filter((c) => c.platform !== 'W');
  const env = new Map([
    ['PWD', '/home'],
    ['SHELL', 'bash'],
    ['KOREAN', '한국어'],
    ['NULL', ''],
  ]);
  const lex = new ShellLex('\\');

  test(`runs all ${EXPECTED_ENV_VAR_LINES} A and U lines (windows-only lines: ${all.length - cases.length})`, () => {
    assert.equal(cases.length, EXPECTED_ENV_VAR_LINES);
  });

  for (const c of cases) {
    test(`envVarTest:${c.line} ${c.platform}|${c.input}|${c.expected}`, () => {
      const got = outcome(() => lex.processWord(c.input, env).value);
      assert.equal(got, c.expected);
    });
  }
});

interface WordsCase {
  line: number;
  input: string;
  expected: string[];
  env: Map<string, string>;
}

function wordsCases(): WordsCase[] {
  const cases: WordsCase[] = [];
  const env = new Map<string, string>();
  readCorpus('wordsTest').forEach((raw, index) => {
    if (raw.startsWith('#') || raw === '') return;
    if (raw.startsWith('ENV ')) {
      const assignment = trimLeftSpaces(raw.slice(3));
      const eq = assignment.indexOf('=');
      if (eq === -1) env.set(assignment, '');
      else env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
      return;
    }
    const parts = raw.split('|');
    assert.equal(parts.length, 2, `wordsTest:${index + 1}: expected exactly one |: ${JSON.stringify(raw)}`);
    const [input, expected] = parts as [string, string];
    cases.push({ line: index + 1, input: trimSpace(input), expected: trimLeftSpaces(expected).split(','), env: new Map(env) });
  });
  return cases;
}

describe('BuildKit wordsTest (ProcessWords)', () => {
  const cases = wordsCases();
  const lex = new ShellLex('\\');

  test(`runs all ${EXPECTED_WORDS_LINES} lines`, () => {
    assert.equal(cases.length, EXPECTED_WORDS_LINES);
  });

  for (const c of cases) {
    test(`wordsTest:${c.line} ${c.input} | ${c.expected.join(',')}`, () => {
      const got = outcome(() => lex.processWords(c.input, c.env));
      assert.deepEqual(got === 'error' ? ['error'] : got, c.expected);
    });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExpansionError, ShellLex, type LexOptions } from '../../../src/dockerfile/words.js';
import { isSpace } from '../../../src/dockerfile/words-scanner.js';

// Pieces of expansion syntax make interesting words far more often than arbitrary text does;
// arbitrary strings (lone surrogates included) make sure nothing else slips through.
const piece = fc.constantFrom(
  '$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '\\', '`', '"', "'", ' ', '\t', '\n', '<', '*',
  'a', 'A', '_', '1', '0', '@', '.', 'é', '😀', '\uFEFF', '${', '${A', '$A', '${B:-', ':+', ':?', '##', '%%', '//', '<<',
);
const syntaxWord = fc.array(piece, { maxLength: 16 }).map((parts) => parts.join(''));
const anyWord = fc.oneof(syntaxWord, fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const value = fc.oneof(fc.constantFrom('', ' ', 'a b', '*', '\\', '$0', 'x\ny'), fc.string({ maxLength: 8 }));
const envArb = fc.dictionary(fc.constantFrom('A', 'B', 'C', '1', '@'), value).map((record) => new Map(Object.entries(record)));
const optionsArb: fc.Arbitrary<LexOptions> = fc.record(
  { rawQuotes: fc.boolean(), rawEscapes: fc.boolean(), skipUnsetEnv: fc.boolean(), skipProcessQuotes: fc.boolean() },
  { requiredKeys: [] },
);
const escapeArb = fc.constantFrom<'\\' | '`'>('\\', '`');

function splitOnSpace(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of text) {
    if (!isSpace(ch.codePointAt(0) ?? 0)) {
      current += ch;
    } else if (current !== '') {
      out.push(current);
      current = '';
    }
  }
  return current === '' ? out : [...out, current];
}

test('expansion returns a well-formed result or throws an ExpansionError, nothing else', () => {
  fc.assert(
    fc.property(anyWord, envArb, optionsArb, escapeArb, (word, env, options, escape) => {
      const lex = new ShellLex(escape, options);
      let result;
      try {
        result = lex.processWord(word, env);
      } catch (err) {
        assert.ok(err instanceof ExpansionError, `not an ExpansionError: ${String(err)}`);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.ok(err.offset === undefined || (err.offset >= 0 && err.offset <= word.length));
        assert.throws(() => lex.processWords(word, env), ExpansionError);
        return;
      }
      assert.equal(typeof result.value, 'string');
      assert.ok(result.words.every((w) => typeof w === 'string' && w !== ''));
      for (const name of result.matched) assert.ok(env.has(name) && !result.unmatched.has(name));
      for (const name of result.unmatched) assert.ok(!env.has(name));
      assert.deepEqual(lex.processWords(word, env), result.words);
    }),
    { numRuns: 3000 },
  );
});

// Text without `$`, quotes or the escape character has nothing to expand (a leading U+FEFF is
// dropped like Go's scanner drops it, so it is left out here).
const plainChar = (escape: string) =>
  fc.string({ unit: 'grapheme', maxLength: 1 }).filter((ch) => ch.length > 0 && !['$', '"', "'", escape, '\uFEFF'].some((c) => ch.includes(c)));

test('a word with no $, quotes or escape character expands to itself', () => {
  const plainWord = escapeArb.chain((escape) =>
    fc.tuple(fc.constant(escape), fc.array(plainChar(escape), { maxLength: 20 }).map((chars) => chars.join(''))),
  );
  fc.assert(
    fc.property(plainWord, envArb, ([escape, word], env) => {
      const lex = new ShellLex(escape);
      assert.equal(lex.processWord(word, env).value, word);
      // `<<` keeps the blanks after it; elsewhere the words are the blank-separated runs.
      if (!word.includes('<')) assert.deepEqual(lex.processWords(word, env), splitOnSpace(word));
    }),
    { numRuns: 1000 },
  );
});

test('escaping every special character round-trips any text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 30 }), escapeArb, envArb, (text, escape, env) => {
      const lex = new ShellLex(escape);
      const specials = new Set(['$', '"', "'", escape, '\uFEFF']);
      const escaped = Array.from(text, (ch) => (specials.has(ch) ? escape + ch : ch)).join('');
      assert.equal(lex.processWord(escaped, env).value, text);

      const inDoubleQuotes = Array.from(text, (ch) => (['$', '"', escape].includes(ch) ? escape + ch : ch)).join('');
      assert.equal(lex.processWord(`"${inDoubleQuotes}"`, env).value, text);

      const everyCharEscaped = Array.from(text, (ch) => escape + ch).join('');
      assert.deepEqual(lex.processWords(everyCharEscaped, env), text === '' ? [] : [text]);
    }),
    { numRuns: 2000 },
  );
});

test('single quotes keep any text without a single quote', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((t) => !t.includes("'")), envArb, (text, env) => {
      assert.equal(new ShellLex().processWord(`'${text}'`, env).value, text);
    }),
  );
});

test('with skipUnsetEnv and no env, references are written back unchanged', () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
  const reference = fc.oneof(
    name.map((n) => `$${n}`),
    name.map((n) => `\${${n}}`),
    fc.tuple(name, fc.constantFrom(':-', '-', ':+', '+', ':?', '?', '#', '%'), fc.stringMatching(/^[a-z0-9 ]{0,4}$/)).map(([n, op, w]) => `\${${n}${op}${w}}`),
  );
  fc.assert(
    fc.property(fc.array(fc.oneof(reference, fc.constantFrom(' ', 'x', '/')), { maxLength: 6 }), (parts) => {
      const word = parts.join('');
      // A name glued to following letters would read as a longer name, which is still itself.
      assert.equal(new ShellLex('\\', { skipUnsetEnv: true }).processWord(word, new Map()).value, word);
    }),
  );
});

// Reference semantics for patterns: BuildKit's own algorithm, a backtracking regexp with Go's
// leftmost-first preference, built here from tokens whose meaning is known. `[^\n]` stands for
// Go's `.` (JS's `.` also stops at \r, U+2028 and U+2029).
const patternToken = fc.constantFrom(
  { text: 'a', re: 'a' },
  { text: 'b', re: 'b' },
  { text: '😀', re: '😀' },
  { text: '\n', re: '\\n' },
  { text: '.', re: '\\.' },
  { text: '*', re: 'STAR' },
  { text: '?', re: '[^\\n]' },
  { text: '\\*', re: '\\*' },
  { text: '\\?', re: '\\?' },
  { text: '\\\\', re: '\\\\' },
);
const subject = fc.array(fc.constantFrom('a', 'b', '😀', '\n', '.', '*', '?', '\\'), { maxLength: 10 }).map((cs) => cs.join(''));

type Token = { text: string; re: string };
const reverse = (text: string): string => Array.from(text).reverse().join('');
const source = (tokens: Token[], greedy: boolean): string => tokens.map((t) => (t.re === 'STAR' ? (greedy ? '[^\\n]*' : '[^\\n]*?') : t.re)).join('');

function trimPrefixRef(tokens: Token[], text: string, greedy: boolean): string {
  const match = new RegExp(`^(?:${source(tokens, greedy)})`, 'u').exec(text);
  return match ? text.slice(match[0].length) : text;
}

function replaceAllRef(tokens: Token[], text: string, replacement: string): string {
  const re = new RegExp(source(tokens, true), 'gu');
  let out = '';
  let lastEnd = 0;
  for (let pos = 0; pos <= text.length; ) {
    re.lastIndex = pos;
    const match = re.exec(text);
    if (!match) break;
    const end = match.index + match[0].length;
    out += text.slice(lastEnd, match.index);
    if (end > lastEnd || match.index === 0) out += replacement;
    lastEnd = end;
    pos = Math.max(pos + ((text.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1), end);
  }
  return out + text.slice(lastEnd);
}

test('# ## % %% / // agree with a backtracking leftmost-first matcher', () => {
  fc.assert(
    fc.property(fc.array(patternToken, { maxLength: 6 }), subject, (tokens, text) => {
      const env = new Map([['V', text], ['P', tokens.map((t) => t.text).join('')]]);
      const lex = new ShellLex();
      const run = (word: string): string => lex.processWord(word, env).value;
      const reversed = [...tokens].reverse();
      assert.equal(run('${V#$P}'), trimPrefixRef(tokens, text, false));
      assert.equal(run('${V##$P}'), trimPrefixRef(tokens, text, true));
      assert.equal(run('${V%$P}'), reverse(trimPrefixRef(reversed, reverse(text), false)));
      assert.equal(run('${V%%$P}'), reverse(trimPrefixRef(reversed, reverse(text), true)));
      assert.equal(run('${V/$P/R}'), text.replace(new RegExp(source(tokens, true), 'u'), 'R'));
      assert.equal(run('${V//$P/R}'), replaceAllRef(tokens, text, 'R'));
    }),
    { numRuns: 3000 },
  );
});

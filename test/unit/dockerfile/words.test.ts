import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpansionError, ShellLex, type Env, type LexOptions } from '../../../src/dockerfile/words.js';
import { KilnError } from '../../../src/util/errors.js';

const env: Env = new Map([
  ['HOME', '/root'],
  ['EMPTY', ''],
  ['SPACED', '  a  b '],
  ['FILE', 'archive.tar.gz'],
  ['PATHS', '/usr/local/bin:/usr/bin:/bin'],
  ['STARS', 'a*b*c'],
  ['MULTI', 'one\ntwo\nthree'],
  ['LIST', 'aXbXc'],
]);

function word(input: string, options: LexOptions = {}, e: Env = env): string {
  return new ShellLex('\\', options).processWord(input, e).value;
}

function words(input: string, e: Env = env): string[] {
  return new ShellLex('\\').processWords(input, e);
}

/** Expects an ExpansionError and returns it. */
function failure(run: () => unknown): ExpansionError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ExpansionError, `not an ExpansionError: ${String(err)}`);
    return err;
  }
  assert.fail('expected an ExpansionError');
}

function fails(input: string, message: string, options: LexOptions = {}): ExpansionError {
  const err = failure(() => word(input, options));
  assert.equal(err.message, `failed to process ${JSON.stringify(input)}: ${message}`);
  return err;
}

describe('quotes and escapes', () => {
  test('single quotes keep everything literally, escapes included', () => {
    assert.equal(word(`'$HOME \\n \\'`), '$HOME \\n \\');
  });

  test('double quotes expand and honour \\" \\$ \\\\ only', () => {
    assert.equal(word('"$HOME \\$HOME \\" \\\\ \\n \'x\'"'), '/root $HOME " \\ \\n \'x\'');
  });

  test('outside quotes the escape character escapes anything and a trailing one is dropped', () => {
    assert.equal(word('a\\ b\\$HOME\\"\\\\c\\'), 'a b$HOME"\\c');
  });

  test('quotes join with the text around them', () => {
    assert.equal(word(`pre"mid"'dle'post`), 'premiddlepost');
  });

  test('unterminated quotes are errors that point at the quote', () => {
    assert.equal(fails(`ab'cd`, 'unexpected end of statement while looking for matching single-quote').offset, 2);
    assert.equal(fails('a"b\\"', 'unexpected end of statement while looking for matching double-quote').offset, 1);
  });

  test('a leading byte order mark is dropped, as Go text/scanner does; elsewhere it stays', () => {
    assert.equal(word('\uFEFFa\uFEFF'), 'a\uFEFF');
  });
});

describe('variables', () => {
  test('$name and ${name}; unset and empty expand to nothing', () => {
    assert.equal(word('$HOME/${HOME}x$UNSET.${UNSET}$EMPTY|'), '/root//rootx.|');
  });

  test('names take letters, digits and _ (Unicode letters and digits too)', () => {
    const e = new Map([['A_1', 'x'], ['é٣', 'y']]);
    assert.equal(word('$A_1-$A_1b-$é٣!', {}, e), 'x--y!');
  });

  test('$ before a character that cannot start a name is literal', () => {
    assert.equal(word('$.$/$ $'), '$.$/$ $');
  });

  test('positional parameters are digit runs and never set', () => {
    assert.equal(word('a$1b$999c${10}d$0x', {}, new Map([['1', 'one'], ['0x', 'no']])), 'aonebcdx');
  });

  test('special parameters are one character and never set unless env has them', () => {
    assert.equal(word('[$@][$*][$#][$?][$-][$$][$!][${@}]'), '[][][][][][][][]');
    assert.equal(word('$@@@'), '@@');
  });

  test('${} and malformed braces are errors', () => {
    assert.equal(fails('ab${}', 'syntax error: bad substitution').offset, 2);
    fails('${:}', 'syntax error: bad substitution');
    fails('${{a}', 'syntax error: bad substitution');
    fails('${', "syntax error: missing '}'");
    assert.equal(fails('x${HOME', 'unsupported modifier (\uFFFD) in substitution').offset, 7);
    fails('${.}', 'unsupported modifier (.) in substitution');
  });

  test('a } after a complete expansion is literal', () => {
    assert.equal(word('${HOME}}'), '/root}');
  });
});

describe('${name op word}', () => {
  test(':- and - choose the word for unset (and, with :, empty) values', () => {
    assert.equal(word('${UNSET:-d}|${EMPTY:-d}|${HOME:-d}'), 'd|d|/root');
    assert.equal(word('${UNSET-d}|${EMPTY-d}|${HOME-d}'), 'd||/root');
  });

  test(':+ and + choose the word for set (and, with :, non-empty) values', () => {
    assert.equal(word('${UNSET:+w}|${EMPTY:+w}|${HOME:+w}'), '||w');
    assert.equal(word('${UNSET+w}|${EMPTY+w}|${HOME+w}'), '|w|w');
  });

  test(':? and ? fail with the variable name and the message', () => {
    assert.equal(word('${HOME:?x}${EMPTY?x}'), '/root');
    assert.equal(fails('${UNSET:?need $HOME}', 'UNSET: need /root').offset, 0);
    fails('a${EMPTY:?}', 'EMPTY: is not allowed to be empty');
    fails('${UNSET?}', 'UNSET: is not allowed to be unset');
    fails('${UNSET:?}', 'UNSET: is not allowed to be unset');
  });

  test('words nest and are expanded, quoted and escaped like any word', () => {
    assert.equal(word('${UNSET:-${EMPTY:-${HOME}}}'), '/root');
    assert.equal(word('${UNSET:-"a b" \'$c\' \\}}'), 'a b $c }');
    assert.equal(word('${HOME:+${HOME}:}x'), '/root:x');
    assert.equal(word('${UNSET:-\\${HOME}z}'), '${HOMEz}');
  });

  test('unsupported operators are errors, after the word is read', () => {
    fails('${HOME:=x}', 'unsupported modifier (:=) in substitution');
    fails('${HOME=x}', 'unsupported modifier (=) in substitution');
    fails('${HOME:/a/b}', 'unsupported modifier (:/) in substitution');
    fails('${HOME:x}', 'unsupported modifier (:x) in substitution');
    fails('${HOME:#x}', 'unsupported modifier (:#) in substitution');
    fails('${HOME:%x}', 'unsupported modifier (:%) in substitution');
    fails('${HOME:=${}}', 'syntax error: bad substitution');
  });

  test('an unterminated word reports the missing brace at the $', () => {
    assert.equal(fails('ab${UNSET:-x', "syntax error: missing '}'").offset, 2);
    fails('${UNSET:-"x}', "syntax error: missing '}'");
    fails('${UNSET:-\\}', "syntax error: missing '}'");
  });
});

describe('${name#pattern} ${name%pattern}', () => {
  test('# and ## remove the shortest and longest matching prefix', () => {
    assert.equal(word('${FILE#*.}|${FILE##*.}|${FILE#x*}'), 'tar.gz|gz|archive.tar.gz');
  });

  test('% and %% remove the shortest and longest matching suffix', () => {
    assert.equal(word('${FILE%.*}|${FILE%%.*}|${PATHS%%:*}'), 'archive.tar|archive|/usr/local/bin');
  });

  test('? matches one character, \\ escapes * ? and \\', () => {
    assert.equal(word('${FILE#???}|${STARS#a\\*}|${STARS%\\*?}'), 'hive.tar.gz|b*c|a*b');
    assert.equal(word('${X#\\\\}', {}, new Map([['X', '\\a']])), 'a');
  });

  test('\\} and \\/ are literal } and /', () => {
    assert.equal(word('${X#\\}\\/}', {}, new Map([['X', '}/x']])), 'x');
  });

  test('other escapes in a pattern are errors', () => {
    fails('${FILE#\\a}', "invalid pattern (\\a) in substitution: invalid escape '\\a'");
    const fromVariable = failure(() => word('${V#$B}', {}, new Map([['V', 'v'], ['B', 'x\\']])));
    assert.match(fromVariable.message, /: invalid pattern \(x\\\) in substitution: invalid escape '\\\uFFFD'$/);
  });

  test('patterns come from variables too, and a doubled operator may come from one', () => {
    const e = new Map([['V', 'xxyy'], ['P', '#x*']]);
    assert.equal(word('${V#$P}', {}, e), '');
    assert.equal(word('${V#"x"}', {}, e), 'xyy');
  });

  test('* and ? never match a newline (Go regexp . semantics)', () => {
    assert.equal(word('${MULTI##*}'), '\ntwo\nthree');
    assert.equal(word('${MULTI%%*}'), 'one\ntwo\n');
    assert.equal(word('${MULTI#one?}'), 'one\ntwo\nthree');
  });

  test('empty patterns remove nothing', () => {
    assert.equal(word('${FILE#}${FILE%%}'), 'archive.tar.gzarchive.tar.gz');
  });
});

describe('${name/pattern/replacement}', () => {
  test('/ replaces the leftmost match, // every match', () => {
    assert.equal(word('${LIST/X/-}|${LIST//X/-}'), 'a-bXc|a-b-c');
  });

  test('* is greedy and stops at a newline', () => {
    assert.equal(word('${LIST/X*/-}|${MULTI//o*/-}'), 'a-|-\ntw-\nthree');
  });

  test('the replacement keeps its escapes; // reads $0 in it as the match', () => {
    const e = new Map([['V', '/tmp/x'], ['R', '<$0>']]);
    assert.equal(word('${V//\\//\\/}', {}, e), '\\/tmp\\/x');
    assert.equal(word('${V//t/$R}|${V/t/$R}', {}, e), '/<t>mp/x|/<$0>mp/x');
  });

  test('an empty pattern matches between characters', () => {
    const e = new Map([['V', 'ab']]);
    assert.equal(word('${V//$NONE/-}|${V/$NONE/-}', {}, e), '-a-b-|-ab');
  });

  test('missing parts are errors', () => {
    fails('${LIST/X}', "syntax error: missing '/' in ${}");
    fails('${LIST//}', "syntax error: missing '/' in ${}");
    fails('${LIST/X/', "syntax error: missing '}'");
  });

  test('an unset variable gives an empty value', () => {
    assert.equal(word('${UNSET//a/b}.'), '.');
  });
});

describe('the backtick escape (# escape=`)', () => {
  const lex = new ShellLex('`');

  test('backtick escapes and \\ is an ordinary character', () => {
    assert.equal(lex.processWord('C:\\dir`$HOME` x`', env).value, 'C:\\dir$HOME x');
    assert.equal(lex.processWord('"a`"b``c`$HOME\\"', env).value, 'a"b`c$HOME\\');
  });

  test('patterns still use \\ for their own escapes', () => {
    assert.equal(lex.processWord('${STARS#a\\*}', env).value, 'b*c');
    assert.equal(lex.processWord('${STARS#a`*}', env).value, 'a*b*c');
  });
});

describe('matched and unmatched names', () => {
  test('every name looked up lands in one of the sets, nested ones included', () => {
    const result = new ShellLex().processWord('$HOME ${UNSET:-$EMPTY} ${FILE#$NOPE} $1 $', env);
    assert.deepEqual([...result.matched].sort(), ['EMPTY', 'FILE', 'HOME']);
    assert.deepEqual([...result.unmatched].sort(), ['1', 'NOPE', 'UNSET']);
  });

  test('a word without references has empty sets', () => {
    const result = new ShellLex().processWord('plain', env);
    assert.equal(result.matched.size + result.unmatched.size, 0);
  });
});

describe('options', () => {
  test('rawQuotes keeps the quote characters', () => {
    assert.equal(word(`a'$HOME'"$HOME"`, { rawQuotes: true }), `a'$HOME'"/root"`);
  });

  test('rawEscapes keeps escape characters (and doubles one before an ordinary char in "")', () => {
    assert.equal(word('\\$HOME\\a"\\$x\\q"', { rawEscapes: true }), '\\$HOME\\a\\$x\\\\q');
  });

  test('skipUnsetEnv writes references to unset variables back as they were', () => {
    const input = '$UNSET ${UNSET} ${UNSET:-a b} ${UNSET#x*} ${UNSET//a/b} ${UNSET:?m} $1 $HOME';
    assert.equal(word(input, { skipUnsetEnv: true }), '$UNSET ${UNSET} ${UNSET:-a b} ${UNSET#x*} ${UNSET/a/b} ${UNSET:?m} $1 /root');
  });

  test('skipProcessQuotes makes quotes ordinary characters', () => {
    assert.equal(word(`'$HOME' "a\\$b"`, { skipProcessQuotes: true }), `'/root' "a$b"`);
  });
});

describe('processWords', () => {
  test('unquoted expansions split on whitespace; quoted ones stay whole', () => {
    assert.deepEqual(words('x${SPACED}y "${SPACED}"'), ['x', 'a', 'b', 'y', '  a  b ']);
  });

  test('leading, trailing and repeated blanks make no empty words', () => {
    assert.deepEqual(words('  a \t b  '), ['a', 'b']);
    assert.deepEqual(words('$SPACED'), ['a', 'b']);
  });

  test('an expansion of only whitespace or nothing adds no word', () => {
    assert.deepEqual(words('$EMPTY ${UNSET} ${EMPTY:- }'), []);
  });

  test('empty quotes make no word of their own, as in BuildKit', () => {
    assert.deepEqual(words(`a "" '' b`), ['a', 'b']);
  });

  test('escaped blanks stay in the word; Unicode spaces split', () => {
    assert.deepEqual(words('a\\ b c\u00a0d\u3000e'), ['a b', 'c', 'd', 'e']);
  });

  test('text before a ${name op word} in the same word is lost, as in BuildKit', () => {
    assert.deepEqual(words('keep hello${UNSET:-foo}bar'), ['keep', 'foobar']);
    assert.deepEqual(words('hello${HOME}'), ['hello/root']);
  });

  test('a heredoc operator stays attached to its delimiter', () => {
    assert.deepEqual(words('cat << EOF'), ['cat', '<< EOF']);
    assert.equal(word('cat << EOF'), 'cat << EOF');
  });
});

describe('ExpansionError', () => {
  test('is an INVALID_ARGUMENT KilnError without a location', () => {
    const err = failure(() => word('${'));
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.equal(err.details.source, undefined);
  });
});

describe('performance', () => {
  test('adversarial patterns and long words run in time linear-ish in their size', () => {
    const long = 'a'.repeat(100_000);
    const started = performance.now();
    assert.equal(word(`\${V##${'*'.repeat(100_000)}b}`, {}, new Map([['V', long]])), long);
    assert.equal(word(`\${V%%${'*a'.repeat(200)}b}`, {}, new Map([['V', long.slice(0, 2000)]])), long.slice(0, 2000));
    assert.equal(word('${V//a/bb}', {}, new Map([['V', long]])).length, 200_000);
    assert.equal(word('x$V"y"\\z'.repeat(20_000), {}, new Map([['V', 'a b']])).length, 20_000 * 6);
    assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  });
});

// Every instruction and flag, from real Dockerfile text to typed commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kilnErrorOf } from '../../helpers/errors.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { parseInstruction, type Command, type FromInstruction } from '../../../src/dockerfile/instructions/index.js';
import { sourceOf } from '../../../src/dockerfile/instructions/errors.js';
import type { KilnError } from '../../../src/util/errors.js';

function parse(text: string): Command | FromInstruction {
  const ast = parseDockerfile(text);
  const node = ast.instructions[ast.instructions.length - 1];
  assert.ok(node, 'no instruction');
  return parseInstruction(node, sourceOf(ast));
}

function parseAs<K extends (Command | FromInstruction)['kind']>(kind: K, text: string): Extract<Command | FromInstruction, { kind: K }> {
  const cmd = parse(text);
  assert.equal(cmd.kind, kind);
  return cmd as Extract<Command | FromInstruction, { kind: K }>;
}

function failure(text: string): KilnError {
  return kilnErrorOf(() => parse(text));
}

test('FROM: image, platform, stage name lower-cased, doc comment', () => {
  const from = parseAs('from', '# builder compiles the app\nFROM --platform=$BUILDPLATFORM golang:1.22 AS Builder\n');
  assert.equal(from.baseName, 'golang:1.22');
  assert.equal(from.platform, '$BUILDPLATFORM');
  assert.equal(from.name, 'builder');
  assert.equal(from.asKeyword, 'AS');
  assert.equal(from.docComment, 'compiles the app');
  assert.deepEqual(from.nameRange?.start, { line: 2, column: 47 });
  assert.equal(parseAs('from', 'from alpine as x').asKeyword, 'as');
  assert.equal(parseAs('from', 'FROM scratch').name, undefined);
});

test('FROM: argument count and stage name rules', () => {
  assert.match(failure('FROM a b').message, /FROM requires either one or three arguments/);
  assert.match(failure('FROM a TO b').message, /FROM requires either one or three arguments/);
  const bad = failure('FROM alpine AS 1st');
  assert.match(bad.message, /invalid name for build stage: "1st"/);
  assert.deepEqual(bad.details.source?.range.start, { line: 1, column: 16 });
  assert.match(failure('FROM alpine AS a$b').message, /invalid name for build stage/);
  assert.equal(parseAs('from', 'FROM alpine AS a-b_c.d').name, 'a-b_c.d');
  assert.match(failure('FROM --plat=x alpine').message, /unknown flag --plat for FROM/);
});

test('RUN: shell form, exec form, heredocs and flags', () => {
  const shell = parseAs('run', 'RUN echo "$HOME" && ls');
  assert.deepEqual(shell.cmdLine, ['echo "$HOME" && ls']);
  assert.equal(shell.prependShell, true);
  assert.equal(shell.network, 'default');
  assert.equal(shell.security, 'sandbox');
  const exec = parseAs('run', 'RUN ["echo", "a b"]');
  assert.deepEqual(exec.cmdLine, ['echo', 'a b']);
  assert.equal(exec.prependShell, false);
  const heredoc = parseAs('run', 'RUN <<EOF\necho hi\nEOF\n');
  assert.deepEqual(heredoc.files, [{ name: 'EOF', data: 'echo hi\n', chomp: false }]);
  assert.deepEqual(heredoc.cmdLine, ['<<EOF']);
  const flagged = parseAs('run', 'RUN --mount=type=cache,target=/c --mount=type=secret,id=s --network=none --security=insecure --device=gpu echo');
  assert.deepEqual(flagged.mounts.map((m) => m.text), ['type=cache,target=/c', 'type=secret,id=s']);
  assert.equal(flagged.network, 'none');
  assert.equal(flagged.security, 'insecure');
  assert.deepEqual(flagged.devices, [{ name: 'gpu', required: false }]);
  assert.deepEqual(flagged.flagsUsed, ['mount', 'network', 'security', 'device']);
});

test('RUN: bad flag values', () => {
  assert.match(failure('RUN --network=bridge true').message, /invalid --network value "bridge" for RUN/);
  assert.match(failure('RUN --security=privileged true').message, /invalid --security value/);
  assert.match(failure('RUN --mount=from=$X,target=/a true').message, /variable expansion is not supported for --mount from/);
  assert.match(failure('RUN --mout=type=cache true').hint ?? '', /did you mean --mount\?/);
  assert.match(failure('RUN').message, /RUN requires a command/);
});

test('CMD, ENTRYPOINT: both forms; SHELL only as JSON', () => {
  assert.deepEqual(parseAs('cmd', 'CMD ["nginx", "-g", "daemon off;"]').cmdLine, ['nginx', '-g', 'daemon off;']);
  const cmd = parseAs('cmd', 'CMD nginx -g "daemon off;"');
  assert.deepEqual(cmd.cmdLine, ['nginx -g "daemon off;"']);
  assert.equal(cmd.prependShell, true);
  assert.deepEqual(parseAs('cmd', 'CMD []').cmdLine, []);
  assert.equal(parseAs('entrypoint', 'ENTRYPOINT ["/init"]').prependShell, false);
  assert.deepEqual(parseAs('shell', 'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]').shell, ['/bin/bash', '-eo', 'pipefail', '-c']);
  const notJson = failure('SHELL /bin/bash -c');
  assert.equal(notJson.message, 'SHELL requires the arguments to be in JSON form');
  assert.equal(notJson.hint, 'write it as a JSON array, e.g. SHELL ["/bin/bash", "-c"]');
  assert.match(failure('SHELL []').message, /SHELL requires at least one argument/);
});

test('COPY: sources, destination, every flag, heredoc sources', () => {
  const copy = parseAs('copy', 'COPY --from=build --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=tmp a b/ /dest/');
  assert.deepEqual(copy.sources, ['a', 'b/']);
  assert.equal(copy.dest, '/dest/');
  assert.equal(copy.from, 'build');
  assert.equal(copy.chown, 'app:app');
  assert.equal(copy.chmod, '0644');
  assert.equal(copy.link, true);
  assert.equal(copy.parents, true);
  assert.deepEqual(copy.exclude, ['*.md', 'tmp']);
  assert.ok(copy.flagRanges['from']);
  const json = parseAs('copy', 'COPY ["a b", "/c d/"]');
  assert.deepEqual(json.sources, ['a b']);
  assert.equal(json.dest, '/c d/');
  const inline = parseAs('copy', 'COPY <<A <<"B" /dest/\nhello $X\nA\nliteral $Y\nB\n');
  assert.deepEqual(inline.sources, []);
  assert.deepEqual(inline.contents, [
    { path: 'A', data: 'hello $X\n', expand: true },
    { path: 'B', data: 'literal $Y\n', expand: false },
  ]);
  assert.equal(parseAs('copy', 'COPY a b').link, false);
});

test('COPY and ADD: argument and flag errors', () => {
  const one = failure('COPY onlyone');
  assert.match(one.message, /COPY requires at least two arguments/);
  assert.match(failure('COPY a <<EOF\nx\nEOF\n').message, /COPY cannot accept a heredoc as a destination/);
  const typo = failure('COPY --form=build a b');
  assert.equal(typo.message, 'unknown flag --form for COPY');
  assert.match(typo.hint ?? '', /^did you mean --from\? valid flags for COPY: --from, --chown, --chmod, --link, --parents, --exclude$/);
  assert.match(failure('COPY --link=maybe a b').message, /invalid boolean value "maybe"/);
  assert.match(failure('COPY --from=a --from=b x y').message, /duplicate flag --from for COPY/);
  assert.match(failure('ADD --from=x a b').message, /unknown flag --from for ADD/);
  assert.match(failure('ADD --parents a b').message, /unknown flag --parents for ADD/);
});

test('ADD: every flag; unset booleans stay undefined', () => {
  const add = parseAs('add', 'ADD --chown=1:1 --chmod=755 --link --keep-git-dir=true --checksum=sha256:abc --unpack=false --exclude=x https://e.com/a.tgz /a/');
  assert.deepEqual([add.chown, add.chmod, add.link, add.keepGitDir, add.checksum, add.unpack, add.exclude], ['1:1', '755', true, true, 'sha256:abc', false, ['x']]);
  const plain = parseAs('add', 'ADD a.tar /');
  assert.equal(plain.keepGitDir, undefined);
  assert.equal(plain.unpack, undefined);
});

test('ENV and LABEL: key=value pairs and the legacy form', () => {
  assert.deepEqual(parseAs('env', 'ENV A=1 B="two words" C=').env, [
    { key: 'A', value: '1', legacy: false },
    { key: 'B', value: '"two words"', legacy: false },
    { key: 'C', value: '', legacy: false },
  ]);
  assert.deepEqual(parseAs('env', 'ENV PATH /a:$PATH').env, [{ key: 'PATH', value: '/a:$PATH', legacy: true }]);
  assert.deepEqual(parseAs('label', 'LABEL org.opencontainers.image.title="kiln" version=1').labels.map((l) => l.key), ['org.opencontainers.image.title', 'version']);
  assert.match(failure('ENV --x A=1').message, /unknown flag --x for ENV/);
  assert.match(failure('ENV').message, /ENV requires at least one argument/);
});

test('ARG: names with and without defaults, doc comments', () => {
  const arg = parseAs('arg', '# VERSION the release to build\nARG VERSION=1.0 TARGETOS "QUOTED=x"');
  assert.deepEqual(arg.args, [
    { key: 'VERSION', value: '1.0', docComment: 'the release to build' },
    { key: 'TARGETOS', value: undefined, docComment: '' },
    { key: '"QUOTED', value: 'x"', docComment: '' },
  ]);
  assert.match(failure('ARG =x').message, /ARG names can not be blank/);
  assert.match(failure('ARG').message, /ARG requires at least one argument/);
});

test('one-argument instructions: USER, WORKDIR, STOPSIGNAL, MAINTAINER', () => {
  assert.equal(parseAs('user', 'USER app:app').user, 'app:app');
  assert.equal(parseAs('workdir', 'WORKDIR /srv/app').path, '/srv/app');
  assert.equal(parseAs('workdir', 'WORKDIR /path with spaces').path, '/path with spaces');
  assert.equal(parseAs('stopsignal', 'STOPSIGNAL SIGQUIT').signal, 'SIGQUIT');
  assert.equal(parseAs('maintainer', 'MAINTAINER Jane <jane@example.com>').maintainer, 'Jane <jane@example.com>');
  assert.match(failure('USER').message, /USER requires exactly one argument/);
  assert.match(failure('WORKDIR --x /a').message, /unknown flag --x for WORKDIR/);
});

test('EXPOSE and VOLUME', () => {
  assert.deepEqual(parseAs('expose', 'EXPOSE 8080/tcp 53/udp 443').ports, ['443', '53/udp', '8080/tcp']);
  assert.deepEqual(parseAs('volume', 'VOLUME /data /logs').volumes, ['/data', '/logs']);
  assert.deepEqual(parseAs('volume', 'VOLUME ["/var/lib/x", "/y"]').volumes, ['/var/lib/x', '/y']);
  assert.match(failure('VOLUME [""]').message, /VOLUME specified can not be an empty string/);
  assert.match(failure('EXPOSE').message, /EXPOSE requires at least one argument/);
});

test('HEALTHCHECK: NONE, CMD forms, durations and retries', () => {
  assert.deepEqual(parseAs('healthcheck', 'HEALTHCHECK NONE').health.test, ['NONE']);
  const hc = parseAs('healthcheck', 'HEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --start-interval=500ms --retries=3 CMD curl -f http://localhost/');
  assert.deepEqual(hc.health, {
    test: ['CMD-SHELL', 'curl -f http://localhost/'], interval: 30e9, timeout: 90e9, startPeriod: 5e9, startInterval: 5e8, retries: 3,
  });
  assert.deepEqual(parseAs('healthcheck', 'HEALTHCHECK CMD ["/bin/check", "--quick"]').health.test, ['CMD', '/bin/check', '--quick']);
  assert.match(failure('HEALTHCHECK NONE extra').message, /HEALTHCHECK NONE takes no arguments/);
  assert.match(failure('HEALTHCHECK CMD').message, /missing command after HEALTHCHECK CMD/);
  assert.match(failure('HEALTHCHECK RUN x').message, /unknown HEALTHCHECK type "RUN"/);
  assert.match(failure('HEALTHCHECK --interval=30 CMD x').message, /missing unit in duration "30" for --interval of HEALTHCHECK/);
  assert.match(failure('HEALTHCHECK --timeout=1x CMD x').message, /invalid duration "1x" for --timeout/);
  assert.match(failure('HEALTHCHECK --interval=10us CMD x').message, /cannot be less than 1ms/);
  assert.match(failure('HEALTHCHECK --retries=-1 CMD x').message, /--retries of HEALTHCHECK cannot be negative \(-1\)/);
  assert.match(failure('HEALTHCHECK --retries=three CMD x').message, /invalid value "three" for --retries/);
  assert.match(failure('HEALTHCHECK --intervall=1s CMD x').hint ?? '', /did you mean --interval\?/);
});

test('ONBUILD: trigger kept as text; forbidden triggers', () => {
  const ob = parseAs('onbuild', 'ONBUILD RUN --mount=type=cache,target=/x make');
  assert.equal(ob.trigger, 'RUN');
  assert.equal(ob.expression, 'RUN --mount=type=cache,target=/x make');
  const heredoc = parseAs('onbuild', 'ONBUILD COPY <<EOF /x\nhi\nEOF\n');
  assert.equal(heredoc.expression, 'COPY <<EOF /x\nhi\nEOF');
  assert.match(failure('ONBUILD FROM alpine').message, /FROM isn't allowed as an ONBUILD trigger/);
  assert.match(failure('ONBUILD MAINTAINER x').message, /MAINTAINER isn't allowed as an ONBUILD trigger/);
  assert.match(failure('ONBUILD ONBUILD RUN x').message, /chaining ONBUILD/);
});

test('unknown instructions suggest the nearest one, located at the keyword', () => {
  const err = failure('FROM alpine\nRUNN echo hi\n');
  assert.equal(err.message, 'unknown instruction: RUNN');
  assert.equal(err.hint, 'did you mean RUN?');
  assert.deepEqual(err.details.source?.range, { start: { line: 2, column: 1 }, end: { line: 2, column: 5 } });
  assert.equal(failure('copyy a b').hint, 'did you mean copy?');
  assert.match(failure('BOGUSWORD x').hint ?? '', /^instructions are ADD, ARG, CMD/);
});

test('commands keep their source: keyword, range, original text and comments', () => {
  const run = parseAs('run', '# compile\nrun make \\\n  all\n');
  assert.equal(run.keyword, 'run');
  assert.equal(run.original, 'run make   all');
  assert.deepEqual(run.comments, ['compile']);
  assert.equal(run.range.start.line, 2);
  assert.equal(run.range.end.line, 3);
});

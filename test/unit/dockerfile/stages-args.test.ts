// ARG and ENV scoping, build-arg overrides, predefined platform and proxy args, and the
// expansion records the build checks read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kilnErrorOf } from '../../helpers/errors.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import {
  planBuild, redispatch, undefinedNames, type BuildPlan, type Command, type PlanOptions, type PlannedStage,
} from '../../../src/dockerfile/instructions/index.js';
import type { KilnError } from '../../../src/util/errors.js';

const amd64 = { os: 'linux', architecture: 'amd64' };

function plan(text: string, options: PlanOptions = {}): BuildPlan {
  return planBuild(parseDockerfile(text), { buildPlatform: amd64, env: {}, ...options });
}

function stage(p: BuildPlan, name: string): PlannedStage {
  const found = p.stages.find((s) => s.displayName === name);
  assert.ok(found, `no planned stage ${name}`);
  return found;
}

function envOf(p: BuildPlan, name: string): Record<string, string> {
  const env = Object.fromEntries(stage(p, name).dispatch.final.env);
  delete env['PATH'];
  return env;
}

function expanded(p: BuildPlan, name: string, index: number): Command {
  const step = stage(p, name).dispatch.steps[index];
  assert.ok(step, `no step ${index}`);
  return step.command;
}

function planError(text: string, options: PlanOptions = {}): KilnError {
  return kilnErrorOf(() => plan(text, options));
}

test('global ARGs are seen by FROM only, until redeclared in the stage', () => {
  const p = plan('ARG BASE=alpine\nARG V=1\nFROM ${BASE}:3 AS a\nENV BEFORE=[$V]\nARG V\nENV AFTER=[$V]\n');
  assert.deepEqual(stage(p, 'a').base, { kind: 'image', ref: 'alpine:3' });
  assert.deepEqual(envOf(p, 'a'), { BEFORE: '[]', V: '1', AFTER: '[1]' });
  assert.deepEqual(stage(p, 'a').baseExpansion.matched, ['BASE']);
});

test("BuildKit's multi-arg case: quoted defaults, expansion between global ARGs", () => {
  const p = plan('ARG a1="foo bar" a2=box\nARG a3="$a2-foo"\nFROM busy$a2 AS build\nARG a3 a4="123 456" a1\nENV OUT="$a1:$a3:$a4"\n');
  assert.deepEqual(stage(p, 'build').base, { kind: 'image', ref: 'busybox' });
  assert.equal(envOf(p, 'build')['OUT'], 'foo bar:box-foo:123 456');
  const quoted = plan('ARG a1="box"\nARG a2="$a1-foo"\nFROM busy$a1 AS build\nARG a2\nARG a3="bar-$a2"\n');
  assert.equal(envOf(quoted, 'build')['a3'], 'bar-box-foo');
});

test('build-args override global and stage defaults; ARG NAME picks the override', () => {
  const text = 'ARG TAG=3.19\nFROM alpine:${TAG} AS a\nARG MODE=debug\nARG TAG\nARG EXTRA\n';
  const p = plan(text, { buildArgs: { TAG: '3.20', MODE: 'release', EXTRA: 'x' } });
  assert.deepEqual(stage(p, 'a').base, { kind: 'image', ref: 'alpine:3.20' });
  assert.deepEqual(envOf(p, 'a'), { MODE: 'release', TAG: '3.20', EXTRA: 'x' });
  const defaults = plan(text);
  assert.deepEqual(envOf(defaults, 'a'), { MODE: 'debug', TAG: '3.19' });
  assert.deepEqual(stage(defaults, 'a').dispatch.final.args, [
    { key: 'MODE', value: 'debug' }, { key: 'TAG', value: '3.19' }, { key: 'EXTRA', value: undefined },
  ]);
});

test('--build-arg NAME takes the value from the environment, or is dropped', () => {
  const text = 'FROM alpine AS a\nARG TOKEN\nARG OTHER\n';
  const p = planBuild(parseDockerfile(text), { buildPlatform: amd64, env: { TOKEN: 'from-env' }, buildArgs: { TOKEN: undefined, OTHER: undefined } });
  assert.deepEqual(envOf(p, 'a'), { TOKEN: 'from-env' });
  assert.deepEqual([...p.buildArgs], [['TOKEN', 'from-env']]);
});

test('ENV and ARG: ENV set after an ARG wins; all pairs of one ENV see the old env', () => {
  const p = plan('FROM alpine AS a\nARG V=arg\nENV V=env\nENV A=1 B=$A C=$V\nENV D=$A\n');
  assert.deepEqual(envOf(p, 'a'), { V: 'env', A: '1', B: '', C: 'env', D: '1' });
});

test('each name of one ARG sees the names before it', () => {
  const p = plan('FROM alpine AS a\nARG X=1 Y=${X}2\n');
  assert.deepEqual(envOf(p, 'a'), { X: '1', Y: '12' });
});

test('a stage built FROM another inherits its env and ARGs; other stages do not', () => {
  const p = plan('FROM alpine AS base\nARG V=1\nENV E=e\nFROM base AS child\nENV SEEN=$V$E\nFROM alpine AS other\nENV SEEN=[$V$E]\nFROM scratch\nCOPY --from=child / /\nCOPY --from=other / /\n');
  assert.deepEqual(envOf(p, 'child'), { V: '1', E: 'e', SEEN: '1e' });
  assert.deepEqual(envOf(p, 'other'), { SEEN: '[]' });
  assert.deepEqual(stage(p, 'child').dispatch.final.args.map((a) => a.key), ['V']);
});

test('predefined platform args: global in FROM, and in a stage once declared', () => {
  const text = 'FROM --platform=$BUILDPLATFORM alpine AS a\nENV BEFORE=[$TARGETARCH]\nARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDARCH\n';
  const p = plan(text, { platform: 'linux/arm/v7' });
  assert.deepEqual(stage(p, 'a').platform, { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(envOf(p, 'a'), {
    BEFORE: '[]', TARGETPLATFORM: 'linux/arm/v7', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7', BUILDPLATFORM: 'linux/amd64', BUILDARCH: 'amd64',
  });
  assert.deepEqual(p.targetPlatform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  const native = plan(text);
  assert.equal(envOf(native, 'a')['TARGETPLATFORM'], 'linux/amd64');
  assert.equal(envOf(native, 'a')['TARGETVARIANT'], '');
  const arm64 = plan(text, { platform: 'linux/aarch64' });
  assert.equal(envOf(arm64, 'a')['TARGETPLATFORM'], 'linux/arm64');
  assert.equal(plan(text, { platform: 'linux/arm' }).globalArgs.get('TARGETPLATFORM'), 'linux/arm/v7');
});

test('TARGETSTAGE is the target name (default when unnamed)', () => {
  const text = 'FROM alpine AS base\nARG TARGETSTAGE\nFROM scratch AS foo\nCOPY --from=base / /\n';
  assert.equal(envOf(plan(text), 'base')['TARGETSTAGE'], 'foo');
  assert.equal(envOf(plan(text, { target: 'base' }), 'base')['TARGETSTAGE'], 'base');
  assert.equal(plan('FROM alpine\n').globalArgs.get('TARGETSTAGE'), 'default');
});

test('FROM --platform with args, and its errors', () => {
  const p = plan('ARG P=linux/arm64\nFROM --platform=$P alpine AS a\n');
  assert.deepEqual(stage(p, 'a').platform, { os: 'linux', architecture: 'arm64' });
  const empty = planError('FROM --platform=$NOPE alpine\n');
  assert.equal(empty.message, 'empty platform value from expression $NOPE');
  const bad = planError('FROM --platform=linux/amd64/x/y alpine\n');
  assert.match(bad.message, /failed to parse platform linux\/amd64\/x\/y/);
  const flag = planError('FROM alpine\n', { platform: 'linux/*' });
  assert.equal(flag.details.flag, '--platform');
});

test('a blank base name after expansion is an error at FROM', () => {
  const err = planError('ARG BASE\nFROM ${BASE}\n');
  assert.equal(err.message, 'base name (${BASE}) should not be blank');
  assert.match(err.hint ?? '', /BASE has no value/);
  assert.equal(err.details.source?.range.start.line, 2);
});

test('expansion errors are located at the instruction', () => {
  const err = planError('ARG NEED=${NEED:?set NEED}\nFROM alpine\n');
  assert.equal(err.details.source?.range.start.line, 1);
  const inStage = planError('FROM scratch\nWORKDIR ${DIR:?DIR is required}\n');
  assert.equal(inStage.details.source?.range.start.line, 2);
  assert.match(inStage.message, /DIR is required/);
  assert.ok(plan('FROM alpine AS a\nARG OK=${BROKEN:?x}\n', { buildArgs: { OK: 'given' } }), 'an overridden default is not evaluated');
});

test('proxy args need no ARG, are collected for RUN, and are not "unused"', () => {
  const p = plan('FROM alpine\nARG FOO\n', { buildArgs: { http_proxy: 'hp', HTTPS_PROXY: 'hsp', FOO: 'f', BAR: 'b', BUILDKIT_INLINE_CACHE: '1', TARGETARCH: 'x' } });
  assert.deepEqual(p.proxyEnv, { httpProxy: 'hp', httpsProxy: 'hsp' });
  assert.deepEqual(p.unusedBuildArgs, ['BAR']);
  assert.deepEqual(p.warnings.map((w) => w.message), ['build-args not consumed by any ARG of the build: BAR']);
  assert.equal(plan('FROM alpine\n').proxyEnv, undefined);
});

test('which words are expanded: COPY/ADD paths and flags, not RUN, CMD or --from', () => {
  const p = plan([
    'FROM alpine AS a', 'ENV D=/dst U=app M=0755 S=SIGINT P=8080 V=/vol W=/w', 'COPY --chown=$U --chmod=$M src/$D $D/', 'ADD --checksum=sha256:$D https://x/$U.tgz /x',
    'RUN echo $D', 'CMD echo $D', 'WORKDIR $W', 'USER $U:$U', 'STOPSIGNAL $S', 'EXPOSE $P/udp 1$P', 'VOLUME $V', 'LABEL $U=$D', '',
  ].join('\n'));
  const [, copy, add, run, cmd, workdir, user, signal, expose, volume, label] = stage(p, 'a').dispatch.steps.map((s) => s.command);
  assert.deepEqual(copy?.kind === 'copy' && [copy.chown, copy.chmod, copy.sources, copy.dest], ['app', '0755', ['src//dst'], '/dst/']);
  assert.deepEqual(add?.kind === 'add' && [add.checksum, add.sources], ['sha256:/dst', ['https://x/app.tgz']]);
  assert.deepEqual(run?.kind === 'run' && run.cmdLine, ['echo $D']);
  assert.deepEqual(cmd?.kind === 'cmd' && cmd.cmdLine, ['echo $D']);
  assert.equal(workdir?.kind === 'workdir' && workdir.path, '/w');
  assert.equal(user?.kind === 'user' && user.user, 'app:app');
  assert.equal(signal?.kind === 'stopsignal' && signal.signal, 'SIGINT');
  assert.deepEqual(expose?.kind === 'expose' && expose.ports, ['8080/udp', '18080']);
  assert.deepEqual(volume?.kind === 'volume' && volume.volumes, ['/vol']);
  assert.deepEqual(label?.kind === 'label' && label.labels, [{ key: 'app', value: '/dst', legacy: false }]);
});

test('COPY heredoc bodies expand unless the delimiter is quoted; mount values expand', () => {
  const p = plan('FROM alpine AS a\nENV N=kiln T=/cache\nCOPY <<EOF <<"RAW" /\nhi $N\nEOF\nraw $N\nRAW\nRUN --mount=type=cache,target=$T,id=${N}-cache true\n');
  const copy = expanded(p, 'a', 1);
  assert.deepEqual(copy.kind === 'copy' && copy.contents.map((c) => c.data), ['hi kiln\n', 'raw $N\n']);
  const run = stage(p, 'a').dispatch.steps[2];
  assert.deepEqual(run?.mounts.map((m) => [m.target, m.id]), [['/cache', 'kiln-cache']]);
});

test('values checked after expansion fail at the instruction', () => {
  assert.match(planError('FROM alpine\nENV S=SIGNOPE\nSTOPSIGNAL $S\n').message, /invalid signal: SIGNOPE/);
  assert.match(planError('FROM alpine\nEXPOSE 80/tcpx\n').message, /invalid port "80\/tcpx": invalid proto: tcpx/);
  assert.match(planError('FROM alpine\nCOPY --chmod=999 a b\n').message, /invalid --chmod value "999" for COPY/);
  assert.match(planError('FROM alpine\nADD --checksum=sha256:x a b c\n').message, /can't be specified for multiple sources/);
  assert.match(planError('FROM alpine\nRUN --mount=type=cach,target=/x true\n').message, /unsupported mount type "cach"/);
  assert.match(planError('FROM scratch\nVOLUME $EMPTY\n').message, /VOLUME specified can not be an empty string/);
});

test('bad values in pruned stages are not dispatched (as in BuildKit)', () => {
  const text = 'FROM alpine AS broken\nSTOPSIGNAL NOPE\nFROM alpine AS ok\n';
  assert.equal(plan(text).target.displayName, 'ok');
  assert.match(planError(text, { allStages: true }).message, /invalid signal/);
});

test('expansion records feed UndefinedVar: unmatched names minus declared ARGs', () => {
  const p = plan('FROM alpine AS a\nARG DECLARED\nENV X=$DECLARED$MISSING${OTHER:-d}\nCOPY $SRC /dst\n');
  const [, env, copy] = stage(p, 'a').dispatch.steps;
  assert.ok(env && copy);
  assert.deepEqual(env.expansions.flatMap((e) => e.unmatched).sort(), ['DECLARED', 'MISSING', 'OTHER']);
  assert.deepEqual(undefinedNames(env).sort(), ['MISSING', 'OTHER']);
  assert.deepEqual(undefinedNames(copy), ['SRC']);
  assert.equal(env.expansions[0]?.range.start.line, 3);
});

test('redispatch walks the stages again with the base images\' env', () => {
  const p = plan('FROM golang AS build\nWORKDIR $GOPATH/src\nENV PATH=/opt/bin:$PATH\nFROM build AS test\nENV G=$GOPATH\n');
  const before = stage(p, 'build').dispatch.steps[0]?.command;
  assert.equal(before?.kind === 'workdir' && before.path, '/src');
  const again = redispatch(p, (s) => (s.displayName === 'build' ? [['GOPATH', '/go'], ['PATH', '/go/bin:/usr/bin']] : undefined));
  const workdir = again.get(0)?.steps[0]?.command;
  assert.equal(workdir?.kind === 'workdir' && workdir.path, '/go/src');
  assert.equal(again.get(0)?.final.env.get('PATH'), '/opt/bin:/go/bin:/usr/bin');
  assert.equal(again.get(1)?.final.env.get('G'), '/go');
});

test('on an unresolved image, values that use unknown variables are provisional, not errors', () => {
  const text = 'FROM postgres AS db\nVOLUME $PGDATA\nRUN --mount=type=cache,target=$CARGO_HOME true\nWORKDIR ${APP:?set APP}\nSTOPSIGNAL SIGINT\n';
  const p = plan(text);
  assert.deepEqual(stage(p, 'db').dispatch.steps.map((s) => s.provisional), [true, true, true, false]);
  assert.deepEqual(stage(p, 'db').dispatch.steps[1]?.mounts, []);
  assert.equal(stage(p, 'db').dispatch.final.complete, false);
  const env: [string, string][] = [['PGDATA', '/var/lib/postgresql/data'], ['CARGO_HOME', '/usr/local/cargo'], ['APP', '/app']];
  const resolved = redispatch(p, () => env).get(0);
  assert.deepEqual(resolved?.steps.map((s) => s.provisional), [false, false, false, false]);
  assert.equal(resolved?.steps[1]?.mounts[0]?.target, '/usr/local/cargo');
  const workdir = resolved?.steps[2]?.command;
  assert.equal(workdir?.kind === 'workdir' && workdir.path, '/app');
  assert.throws(() => redispatch(p, () => []), /VOLUME specified can not be an empty string/);
  assert.throws(() => redispatch(p, () => [['PGDATA', '/d'], ['CARGO_HOME', '/c']]), /set APP/);
});

test('scratch stages and literal values are checked while planning', () => {
  assert.equal(plan('FROM scratch AS s\nENV A=1\n').stages[0]?.dispatch.final.complete, true);
  assert.match(planError('FROM postgres\nSTOPSIGNAL SIGNOPE\n').message, /invalid signal/);
  assert.match(planError('FROM postgres\nRUN --mount=type=cache true\n').message, /requires a target/);
});

test('heredoc bodies keep quotes as content but expand inside them', () => {
  const p = plan('FROM scratch AS a\nENV N=kiln\nCOPY <<EOF /f\necho \'$N\' "$N" \\$N ${N}s\nEOF\n');
  const copy = expanded(p, 'a', 1);
  assert.deepEqual(copy.kind === 'copy' && copy.contents[0]?.data, 'echo \'kiln\' "kiln" $N kilns\n');
});

test('values derived from provisional ones stay provisional through ENV and ARG', () => {
  const p = plan('FROM postgres AS db\nENV DIR=$PGDATA\nARG SUB=$DIR\nVOLUME $SUB\nENV DIR=/fixed\nVOLUME $DIR\n');
  assert.deepEqual(stage(p, 'db').dispatch.steps.map((s) => s.provisional), [true, true, true, false, false]);
  assert.throws(() => redispatch(p, () => [['PGDATA', '']]), /VOLUME specified can not be an empty string/);
  const ok = redispatch(p, () => [['PGDATA', '/data']]).get(0)?.steps[2]?.command;
  assert.deepEqual(ok?.kind === 'volume' && ok.volumes, ['/data']);
});

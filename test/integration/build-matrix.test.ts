// A matrix of Dockerfiles built by `kiln build` on the busybox fixture, each checked by running
// what was built (`kiln run --rm IMG sh -c ...`, output compared exactly) and by the image's
// config and history: multi-stage graphs and --target, ARG/ENV scoping, heredocs, COPY's
// edge cases, USER/WORKDIR, SHELL, ENTRYPOINT + CMD, the config-only instructions, and the
// cache of a multi-stage build (unchanged: all CACHED; one file changed: only its readers run).
// The expected results are what BuildKit (docker buildx build) gives for the same Dockerfile.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostPlatform } from '../../src/image/index.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { writeContext, type ContextFiles } from '../helpers/build-context.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

interface MatrixCase {
  name: string;
  dockerfile: string[];
  files?: ContextFiles;
  /** Flags of `kiln build` before the context: --build-arg, --target. */
  flags?: string[];
  /** `kiln run --rm IMG sh -c script` must print `shows`, exactly. */
  script?: string;
  shows?: string;
  /** `kiln run --rm IMG ...args` (the image's own ENTRYPOINT/CMD) must print `shows`. */
  runs?: Array<{ args: string[]; shows: string }>;
  /** Fields of `kiln image inspect`'s Config, each compared whole. */
  config?: Record<string, unknown>;
  /** created_by of the history entries this build added after the base's. */
  history?: string[];
}

const platform = hostPlatform();
const targetPlatform = `${platform.os}/${platform.architecture}${platform.variant === undefined ? '' : `/${platform.variant}`}`;

const multiStage: MatrixCase[] = [
  {
    name: 'COPY --from a named stage',
    dockerfile: [
      'FROM busybox:1 AS builder',
      'RUN mkdir /out && echo built > /out/artifact',
      'FROM busybox:1',
      'COPY --from=builder /out/artifact /app/artifact',
      'COPY --from=0 /out/artifact /app/by-index',
    ],
    script: 'cat /app/artifact /app/by-index; test -e /out && echo leaked || echo clean',
    shows: 'built\nbuilt\nclean\n',
  },
  {
    // A subtree one layer holds is read in that layer; one spread over layers, through a mount.
    name: 'COPY --from a stage whose tree is spread over layers, with removals',
    dockerfile: [
      'FROM busybox:1 AS builder',
      'RUN mkdir -p /tree/keep /tree/gone /solo && echo one > /tree/keep/a && echo x > /tree/gone/b',
      'RUN echo two > /tree/keep/c && rm -r /tree/gone && echo solo > /solo/s',
      'FROM busybox:1',
      'COPY --from=builder /tree /copied',
      'COPY --from=builder /tree/keep/c /single',
      'COPY --from=builder /solo /solo',
    ],
    script: 'cat /copied/keep/a /copied/keep/c /single /solo/s; test -e /copied/gone && echo leaked || echo clean',
    shows: 'one\ntwo\ntwo\nsolo\nclean\n',
  },
  {
    name: 'COPY --from an image reference',
    dockerfile: [
      'FROM busybox:1',
      'RUN rm /etc/passwd',
      'COPY --from=busybox:1 /etc/passwd /restored/passwd',
    ],
    script: 'test -e /etc/passwd && echo present || echo gone; head -n 1 /restored/passwd',
    shows: 'gone\nroot:x:0:0:root:/root:/bin/sh\n',
  },
  {
    name: '--target picks a middle stage built FROM an earlier one; stages it does not reach never run',
    dockerfile: [
      'FROM busybox:1 AS unused',
      'RUN false',
      'FROM busybox:1 AS base',
      'RUN echo base > /base',
      'FROM base AS middle',
      'RUN echo middle > /middle',
      'FROM middle AS last',
      'RUN false',
    ],
    flags: ['--target', 'middle'],
    script: 'cat /base /middle',
    shows: 'base\nmiddle\n',
    history: ['RUN /bin/sh -c echo base > /base # buildkit', 'RUN /bin/sh -c echo middle > /middle # buildkit'],
  },
  {
    name: 'a stage built FROM another keeps its ENV, WORKDIR and USER',
    dockerfile: [
      'FROM busybox:1 AS base',
      'ENV GREETING=inherited',
      'WORKDIR /srv/base',
      'USER app',
      'FROM base',
      'RUN echo "$GREETING $(pwd) $(id -un)" > /tmp/seen',
    ],
    script: 'cat /tmp/seen',
    shows: 'inherited /srv/base app\n',
    config: { WorkingDir: '/srv/base', User: 'app' },
  },
  {
    name: 'ARG before FROM is used in FROM and re-declared inside a stage',
    dockerfile: [
      'ARG BASE=busybox:1',
      'ARG VERSION=1.0',
      'FROM ${BASE} AS first',
      'ARG VERSION',
      'RUN echo "v=$VERSION" > /version',
      'FROM $BASE',
      'COPY --from=first /version /version',
      'RUN echo "second=${VERSION:-unset}" >> /version',
    ],
    flags: ['--build-arg', 'VERSION=2.0'],
    script: 'cat /version',
    shows: 'v=2.0\nsecond=unset\n',
  },
];

const argScoping: MatrixCase[] = [
  {
    name: 'ARG defaults, overridden by --build-arg',
    dockerfile: [
      'FROM busybox:1',
      'ARG KEPT=default-kept',
      'ARG GIVEN=default-given',
      'ARG EMPTY',
      'RUN echo "$KEPT $GIVEN [${EMPTY}]" > /args',
    ],
    flags: ['--build-arg', 'GIVEN=from-cli'],
    script: 'cat /args; env | grep -c -e KEPT -e GIVEN || true',
    shows: 'default-kept from-cli []\n0\n',
  },
  {
    name: 'an ARG is not visible after a new FROM unless re-declared',
    dockerfile: [
      'FROM busybox:1 AS one',
      'ARG COLOR=red',
      'ARG SIZE=big',
      'RUN echo "one:$COLOR:$SIZE" > /one',
      'FROM busybox:1',
      'COPY --from=one /one /seen',
      'ARG SIZE',
      'RUN echo "two:${COLOR:-none}:${SIZE:-none}" >> /seen',
    ],
    flags: ['--build-arg', 'SIZE=small'],
    script: 'cat /seen',
    shows: 'one:red:small\ntwo:none:small\n',
  },
  {
    // BuildKit's ARG sets the variable in the build state: after an ENV of the same name, the
    // later steps see the ARG's value, the image's Env keeps the ENV's.
    name: 'ENV overrides an earlier ARG of the same name; a later ARG overrides it for RUN, not in the image',
    dockerfile: [
      'FROM busybox:1',
      'ARG MODE=from-arg',
      'ENV MODE=from-env',
      'ENV LATER=env-first',
      'ARG LATER=arg-second',
      'RUN echo "$MODE $LATER" > /mode',
    ],
    flags: ['--build-arg', 'MODE=from-cli', '--build-arg', 'LATER=from-cli'],
    script: 'cat /mode; echo "$MODE $LATER"',
    shows: 'from-env from-cli\nfrom-env env-first\n',
  },
  {
    name: '${VAR:-default} and ${VAR:+alt} in WORKDIR and COPY destinations',
    dockerfile: [
      'FROM busybox:1',
      'ARG DEST',
      'ARG FLAG=on',
      'WORKDIR /work/${DEST:-fallback}',
      'COPY a.txt ${FLAG:+/flagged}/a.txt',
      'COPY a.txt ${DEST:+/never}/b.txt',
      'COPY a.txt ${DEST:-relative}/',
    ],
    files: { 'a.txt': 'A\n' },
    script: 'pwd; cat /flagged/a.txt /b.txt /work/fallback/relative/a.txt; test -e /never && echo wrong || echo ok',
    shows: '/work/fallback\nA\nA\nA\nok\n',
    config: { WorkingDir: '/work/fallback' },
  },
  {
    name: 'predefined platform ARGs are visible only once declared',
    dockerfile: [
      'FROM busybox:1',
      'RUN echo "before:${TARGETARCH:-unset}" > /platform',
      'ARG TARGETPLATFORM',
      'ARG TARGETOS',
      'ARG TARGETARCH',
      'ARG BUILDPLATFORM',
      'RUN echo "$TARGETPLATFORM $TARGETOS $TARGETARCH $BUILDPLATFORM" >> /platform',
    ],
    script: 'cat /platform',
    shows: `before:unset\n${targetPlatform} ${platform.os} ${platform.architecture} ${targetPlatform}\n`,
  },
];

const heredocs: MatrixCase[] = [
  {
    name: 'RUN <<EOF runs a multi-line script',
    dockerfile: [
      'FROM busybox:1',
      'RUN <<EOF',
      'set -e',
      'echo one > /lines',
      'for n in two three; do echo "$n" >> /lines; done',
      'EOF',
    ],
    script: 'cat /lines',
    shows: 'one\ntwo\nthree\n',
  },
  {
    name: 'RUN with two heredocs, the second with <<- tab stripping',
    dockerfile: [
      'FROM busybox:1',
      'RUN cat <<FIRST > /first && cat <<-SECOND > /second',
      'alpha',
      '  indented by spaces',
      'FIRST',
      '\tbeta',
      '\t\tgamma',
      '\tSECOND',
    ],
    script: 'cat /first /second',
    shows: 'alpha\n  indented by spaces\nbeta\ngamma\n',
  },
  {
    name: 'COPY <<EOF writes a file, with --chmod',
    dockerfile: [
      'FROM busybox:1',
      'COPY --chmod=0755 <<EOF /usr/local/bin/hello',
      '#!/bin/sh',
      'echo "hello from a heredoc"',
      'EOF',
    ],
    script: 'hello; stat -c "%a %u:%g" /usr/local/bin/hello',
    shows: 'hello from a heredoc\n755 0:0\n',
  },
  {
    name: 'COPY of two heredocs into a directory, named by their delimiters',
    dockerfile: [
      'FROM busybox:1',
      'COPY <<robots.txt <<humans.txt /site/',
      'User-agent: *',
      'robots.txt',
      'kiln builders',
      'humans.txt',
    ],
    script: 'cd /site && ls && cat robots.txt humans.txt',
    shows: 'humans.txt\nrobots.txt\nUser-agent: *\nkiln builders\n',
  },
  {
    name: 'a quoted heredoc delimiter expands nothing, an unquoted one expands',
    dockerfile: [
      'FROM busybox:1',
      'ARG WHO=world',
      'COPY <<EOF /copy-unquoted',
      'hello $WHO',
      'EOF',
      'COPY <<"EOF" /copy-quoted',
      'hello $WHO',
      'EOF',
      'RUN cat <<EOF > /run-unquoted && cat <<\'EOF\' > /run-quoted',
      'run $WHO',
      'EOF',
      'run $WHO',
      'EOF',
    ],
    script: 'cat /copy-unquoted /copy-quoted /run-unquoted /run-quoted',
    shows: 'hello world\nhello $WHO\nrun world\nrun $WHO\n',
  },
];

const copies: MatrixCase[] = [
  {
    name: 'COPY with a wildcard, and multiple sources into a directory',
    dockerfile: [
      'FROM busybox:1',
      'COPY *.txt /wild/',
      'COPY a.txt notes.md /multi/',
    ],
    files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'notes.md': 'n\n' },
    script: 'ls /wild /multi',
    shows: '/multi:\na.txt\nnotes.md\n\n/wild:\na.txt\nb.txt\n',
  },
  {
    name: 'COPY of a directory copies its contents, not the directory itself',
    dockerfile: ['FROM busybox:1', 'COPY tree /target', 'COPY tree/ /target2/'],
    files: { 'tree/x': 'x\n', 'tree/sub/y': 'y\n' },
    script: 'cd / && find target target2 | sort',
    shows: 'target\ntarget/sub\ntarget/sub/y\ntarget/x\ntarget2\ntarget2/sub\ntarget2/sub/y\ntarget2/x\n',
  },
  {
    name: 'COPY to a path without a trailing slash renames, with one copies into; parents are created',
    dockerfile: [
      'FROM busybox:1',
      'COPY a.txt /renamed',
      'COPY a.txt /into/',
      'COPY a.txt /deep/er/path/',
      'COPY a.txt /made/parents/file',
    ],
    files: { 'a.txt': 'a\n' },
    script: 'test -f /renamed && cat /renamed; cat /into/a.txt /deep/er/path/a.txt /made/parents/file',
    shows: 'a\na\na\na\n',
  },
  {
    name: 'COPY --chown by name (resolved in the image) and by number',
    dockerfile: [
      'FROM busybox:1',
      'RUN echo "nogroup:x:65533:" >> /etc/group',
      'COPY --chown=nobody:nogroup a.txt /named',
      'COPY --chown=1234:5678 a.txt /numbered',
      'COPY --chown=app dir /owned/',
    ],
    files: { 'a.txt': 'a\n', 'dir/f': 'f\n' },
    script: 'stat -c "%u:%g" /named /numbered /owned/f',
    shows: '65534:65533\n1234:5678\n1000:1000\n',
  },
  {
    // BuildKit's file op (readUser, UserOpt_ByID): a uid alone is the gid too, known or not.
    name: 'COPY --chown with a uid alone uses it as the gid too',
    dockerfile: ['FROM busybox:1', 'COPY --chown=4242 a.txt /unknown-uid', 'COPY --chown=1000 a.txt /known-uid'],
    files: { 'a.txt': 'a\n' },
    script: 'stat -c "%u:%g" /unknown-uid /known-uid',
    shows: '4242:4242\n1000:1000\n',
  },
  {
    name: 'COPY --chmod, octal and symbolic',
    dockerfile: [
      'FROM busybox:1',
      'COPY --chmod=0750 a.txt /octal',
      'COPY --chmod=u+x a.txt /symbolic',
      'COPY a.txt /kept',
    ],
    files: { 'a.txt': 'a\n' },
    script: 'stat -c %a /octal /symbolic /kept',
    shows: '750\n744\n644\n',
  },
  {
    name: 'COPY --exclude leaves out what matches',
    dockerfile: [
      'FROM busybox:1',
      'COPY --exclude=*.log src/ /ex/',
      'COPY --exclude=b.txt *.txt /wild/',
    ],
    files: { 'src/keep.txt': 'k\n', 'src/drop.log': 'd\n', 'a.txt': 'a\n', 'b.txt': 'b\n' },
    script: 'ls /ex /wild',
    shows: '/ex:\nkeep.txt\n\n/wild:\na.txt\n',
  },
  {
    name: 'COPY --parents keeps the source paths',
    dockerfile: ['FROM busybox:1', 'COPY --parents a/b/file.txt a/*/other.txt /p/'],
    files: { 'a/b/file.txt': 'f\n', 'a/c/other.txt': 'o\n', 'a/c/skipped.txt': 's\n' },
    script: 'cd /p && find . -type f | sort',
    shows: './a/b/file.txt\n./a/c/other.txt\n',
  },
  {
    name: '.dockerignore with ! exceptions',
    dockerfile: ['FROM busybox:1', 'COPY . /ctx/'],
    files: {
      '.dockerignore': 'Dockerfile\n.dockerignore\n*.txt\n!keep.txt\nsecret/\n',
      'keep.txt': 'k\n', 'drop.txt': 'd\n', 'data.bin': 'b\n', 'secret/key': 's\n', 'nested/n.txt': 'n\n',
    },
    script: 'cd /ctx && find . | sort',
    shows: '.\n./data.bin\n./keep.txt\n./nested\n./nested/n.txt\n',
  },
  {
    name: 'a symlink inside a copied directory stays a symlink; a symlink named as the source is followed',
    dockerfile: ['FROM busybox:1', 'COPY dir /s/', 'COPY dir/link /direct'],
    files: { 'dir/target.txt': 't\n', 'dir/link': { symlink: 'target.txt' } },
    script: 'readlink /s/link; cat /s/link; test -L /direct && echo symlink || cat /direct',
    shows: 'target.txt\nt\nt\n',
  },
  {
    name: 'COPY onto a directory of the base merges; a file replaces the base\'s',
    dockerfile: [
      'FROM busybox:1',
      'RUN mkdir /srv && echo old > /srv/app.conf && echo base > /srv/base.conf',
      'COPY srv/ /srv/',
      'COPY passwd /etc/passwd',
    ],
    files: { 'srv/motd': 'welcome\n', 'srv/app.conf': 'new\n', passwd: 'root:x:0:0:replaced:/root:/bin/sh\n' },
    script: 'ls /srv; cat /srv/app.conf /srv/base.conf /srv/motd /etc/passwd; ls /etc | grep -c group',
    shows: 'app.conf\nbase.conf\nmotd\nnew\nbase\nwelcome\nroot:x:0:0:replaced:/root:/bin/sh\n1\n',
  },
  {
    name: 'an empty directory is copied, alone and inside a tree',
    dockerfile: ['FROM busybox:1', 'COPY empty /e', 'COPY tree /t/'],
    files: { empty: { dir: true }, 'tree/hollow': { dir: true }, 'tree/f': 'f\n' },
    script: 'test -d /e && ls -A /e | wc -l; test -d /t/hollow && ls -A /t/hollow | wc -l; ls /t',
    shows: '0\n0\nf\nhollow\n',
  },
  {
    name: 'a file with spaces in its name, in the JSON form',
    dockerfile: ['FROM busybox:1', 'COPY ["my file.txt", "/with space/"]'],
    files: { 'my file.txt': 'spaced\n' },
    script: 'cat "/with space/my file.txt"',
    shows: 'spaced\n',
  },
];

const usersAndWorkdirs: MatrixCase[] = [
  {
    name: 'WORKDIR creates nested directories, relative ones chained',
    dockerfile: ['FROM busybox:1', 'WORKDIR /a', 'WORKDIR b', 'WORKDIR c/d', 'RUN pwd > /pwd'],
    script: 'cat /pwd; pwd',
    shows: '/a/b/c/d\n/a/b/c/d\n',
    config: { WorkingDir: '/a/b/c/d' },
    history: ['WORKDIR /a', 'WORKDIR /a/b', 'WORKDIR /a/b/c/d', 'RUN /bin/sh -c pwd > /pwd # buildkit'],
  },
  {
    name: 'WORKDIR expands ENV',
    dockerfile: ['FROM busybox:1', 'ENV BASE=/opt', 'WORKDIR $BASE/app', 'RUN pwd > /pwd'],
    script: 'cat /pwd',
    shows: '/opt/app\n',
    config: { WorkingDir: '/opt/app' },
  },
  {
    name: 'USER with a uid the image does not know runs with group 0',
    dockerfile: ['FROM busybox:1', 'USER 4242', 'RUN touch /tmp/unknown'],
    script: 'stat -c "%u:%g" /tmp/unknown; id -u; id -g',
    shows: '4242:0\n4242\n0\n',
  },
  {
    name: 'USER by name and by uid; what a RUN creates belongs to that user',
    dockerfile: [
      'FROM busybox:1',
      'USER app',
      'RUN id -un > /tmp/by-name && id -g >> /tmp/by-name',
      'USER 65534',
      'RUN id -un > /tmp/by-uid && id -g >> /tmp/by-uid',
      'USER 4242:4343',
      'RUN touch /tmp/by-pair',
    ],
    script: 'cat /tmp/by-name /tmp/by-uid; stat -c "%u:%g" /tmp/by-name /tmp/by-uid /tmp/by-pair; id -u',
    shows: 'app\n1000\nnobody\n65534\n1000:1000\n65534:65534\n4242:4343\n4242\n',
    config: { User: '4242:4343' },
  },
  {
    name: 'WORKDIR after USER is created, owned by that user',
    dockerfile: ['FROM busybox:1', 'USER app', 'WORKDIR /appdir', 'RUN touch made-here && pwd > where'],
    script: 'cat /appdir/where; stat -c %U /appdir /appdir/made-here',
    shows: '/appdir\napp\napp\n',
  },
];

const commandsAndConfig: MatrixCase[] = [
  {
    name: 'SHELL changes the shell of RUN and of shell-form CMD, and back',
    dockerfile: [
      'FROM busybox:1',
      'SHELL ["/bin/env", "SHELLED=yes", "/bin/sh", "-c"]',
      'RUN echo "$SHELLED" > /shelled',
      'CMD echo "cmd:$SHELLED"',
      'SHELL ["/bin/sh", "-c"]',
      'RUN echo "${SHELLED:-plain}" >> /shelled',
    ],
    script: 'cat /shelled',
    shows: 'yes\nplain\n',
    runs: [{ args: [], shows: 'cmd:yes\n' }],
    config: {
      Shell: ['/bin/sh', '-c'],
      Cmd: ['/bin/env', 'SHELLED=yes', '/bin/sh', '-c', 'echo "cmd:$SHELLED"'],
    },
  },
  {
    name: 'ENTRYPOINT and CMD combine at run; run arguments replace CMD',
    dockerfile: ['FROM busybox:1', 'ENTRYPOINT ["echo", "entry"]', 'CMD ["default-arg"]'],
    runs: [{ args: [], shows: 'entry default-arg\n' }, { args: ['given'], shows: 'entry given\n' }],
    config: { Entrypoint: ['echo', 'entry'], Cmd: ['default-arg'] },
    history: ['ENTRYPOINT ["echo" "entry"]', 'CMD ["default-arg"]'],
  },
  {
    name: 'a shell-form ENTRYPOINT ignores CMD and run arguments',
    dockerfile: ['FROM busybox:1', 'ENTRYPOINT echo "shell form"', 'CMD ["ignored"]'],
    runs: [{ args: [], shows: 'shell form\n' }, { args: ['also-ignored'], shows: 'shell form\n' }],
    config: { Entrypoint: ['/bin/sh', '-c', 'echo "shell form"'], Cmd: ['ignored'] },
  },
  {
    // BuildKit: an ENTRYPOINT drops the CMD inherited from the base (busybox's `sh`).
    name: 'an ENTRYPOINT alone runs without the base\'s CMD',
    dockerfile: ['FROM busybox:1', 'ENTRYPOINT ["echo", "alone"]'],
    runs: [{ args: [], shows: 'alone\n' }],
  },
  {
    name: 'EXPOSE, VOLUME, LABEL, STOPSIGNAL, HEALTHCHECK and ONBUILD land in the config',
    dockerfile: [
      'FROM busybox:1',
      'EXPOSE 8080 53/udp',
      'VOLUME ["/data", "/logs"]',
      'LABEL org.example.team="kiln builders" version=2',
      'STOPSIGNAL SIGQUIT',
      'HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=4 CMD wget -q -O- http://localhost:8080/ || exit 1',
      'ONBUILD RUN echo triggered',
    ],
    config: {
      ExposedPorts: { '53/udp': {}, '8080/tcp': {} },
      Volumes: { '/data': {}, '/logs': {} },
      Labels: { 'org.example.team': 'kiln builders', version: '2' },
      StopSignal: 'SIGQUIT',
      Healthcheck: {
        Test: ['CMD-SHELL', 'wget -q -O- http://localhost:8080/ || exit 1'],
        Interval: 30_000_000_000, Timeout: 5_000_000_000, StartPeriod: 2_000_000_000, Retries: 4,
      },
      OnBuild: ['RUN echo triggered'],
    },
    history: [
      'EXPOSE map[53/udp:{} 8080/tcp:{}]',
      'VOLUME [/data /logs]',
      'LABEL org.example.team=kiln builders version=2',
      'STOPSIGNAL SIGQUIT',
      'HEALTHCHECK &{["CMD-SHELL" "wget -q -O- http://localhost:8080/ || exit 1"] "30s" "5s" "2s" "0s" \'\\x04\'}',
      // BuildKit's ONBUILD only adds to the config: no history entry.
    ],
  },
  {
    name: 'an image\'s VOLUMEs exist when it runs (docker run mounts an anonymous volume on each)',
    dockerfile: ['FROM busybox:1', 'RUN mkdir /logs && echo kept > /logs/first', 'VOLUME ["/data", "/logs"]'],
    script: 'test -d /data && cat /logs/first && grep -q " /logs " /proc/mounts && echo volumes',
    shows: 'kept\nvolumes\n',
  },
];

const groups: Array<[string, MatrixCase[]]> = [
  ['multi-stage', multiStage],
  ['ARG/ENV scoping', argScoping],
  ['heredocs', heredocs],
  ['COPY', copies],
  ['USER/WORKDIR', usersAndWorkdirs],
  ['commands and config', commandsAndConfig],
];

interface InspectedImage {
  Id: string;
  Config: Record<string, unknown>;
}

describe('kiln build: the Dockerfile matrix', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-matrix');

  const inspect = async (image: string): Promise<InspectedImage> => {
    const shown = await user.kiln(['image', 'inspect', image]);
    assert.equal(shown.status, 0, shown.stderr);
    return (JSON.parse(shown.stdout) as [InspectedImage])[0];
  };

  /** created_by of an image's history, from its config blob in the store. */
  const historyOf = async (image: string): Promise<string[]> => {
    const { Id } = await inspect(image);
    const config = JSON.parse(await readFile(join(user.root, 'content', 'blobs', 'sha256', Id.replace(/^sha256:/, '')), 'utf8')) as { history?: Array<{ created_by?: string }> };
    return (config.history ?? []).map((entry) => entry.created_by ?? '');
  };
  const baseHistory = (await historyOf('busybox:1')).length;

  const build = async (dir: string, flags: string[]) => {
    const built = await user.kiln(['build', '--progress=plain', ...flags, dir]);
    assert.equal(built.status, 0, built.stderr);
    return built.stderr;
  };

  /** `kiln run --rm image ...args` exits 0 and prints exactly `want`. */
  const runShows = async (image: string, args: string[], want: string | undefined): Promise<void> => {
    const ran = await user.kiln(['run', '--rm', image, ...args]);
    assert.deepEqual([ran.status, ran.stdout], [0, want], `${ran.stderr}\nstdout: ${JSON.stringify(ran.stdout)}, want ${JSON.stringify(want)}`);
  };

  const check = async (image: string, c: MatrixCase): Promise<void> => {
    if (c.script !== undefined) await runShows(image, ['sh', '-c', c.script], c.shows);
    for (const run of c.runs ?? []) await runShows(image, run.args, run.shows);
    if (c.config !== undefined) {
      const { Config } = await inspect(image);
      for (const [field, want] of Object.entries(c.config)) assert.deepEqual(Config[field], want, `Config.${field}`);
    }
    if (c.history !== undefined) assert.deepEqual((await historyOf(image)).slice(baseHistory), c.history);
  };

  let index = 0;
  for (const [group, cases] of groups) {
    for (const c of cases) {
      const image = `matrix-${++index}:1`;
      it(`${group}: ${c.name}`, async () => {
        const dir = await tempDir('build-matrix');
        await writeContext(dir, { ...c.files, Dockerfile: `${c.dockerfile.join('\n')}\n` });
        await build(dir, ['-t', image, ...(c.flags ?? [])]);
        await check(image, c);
      });
    }
  }

  it('cache: an unchanged multi-stage rebuild is all CACHED; a file only stage b reads reruns b from its COPY on', async () => {
    const dir = await tempDir('build-matrix-cache');
    await writeContext(dir, {
      'a.txt': 'a1\n',
      'b.txt': 'b1\n',
      Dockerfile: [
        'FROM busybox:1 AS a',
        'COPY a.txt /a.txt',
        'RUN cat /a.txt > /a.out',
        'FROM busybox:1 AS b',
        'RUN echo early > /early',
        'COPY --from=a /a.out /a.out',
        'COPY b.txt /b.txt',
        'RUN cat /a.out /b.txt > /all',
        'RUN echo done >> /all',
        '',
      ].join('\n'),
    });
    await build(dir, ['-t', 'matrix-cache:1']);
    const shows = (want: string): Promise<void> => runShows('matrix-cache:1', ['cat', '/early', '/all'], want);
    await shows('early\na1\nb1\ndone\n');

    const again = await build(dir, ['-t', 'matrix-cache:1']);
    assert.deepEqual(stepsMarked(again, 'DONE'), [], again);
    // Both stages start FROM the same image: one vertex, shown once.
    assert.equal(stepsMarked(again, 'CACHED').filter((name) => /\] FROM /.test(name)).length, 1, again);
    assert.deepEqual(stepsMarked(again, 'CACHED', { exceptFrom: true }).sort(), [
      '[a 2/3] COPY a.txt /a.txt',
      '[a 3/3] RUN cat /a.txt > /a.out',
      '[b 2/6] RUN echo early > /early',
      '[b 3/6] COPY --from=a /a.out /a.out',
      '[b 4/6] COPY b.txt /b.txt',
      '[b 5/6] RUN cat /a.out /b.txt > /all',
      '[b 6/6] RUN echo done >> /all',
    ].sort(), again);

    await writeContext(dir, { 'b.txt': 'b2\n' });
    const changed = await build(dir, ['-t', 'matrix-cache:1']);
    assert.deepEqual(stepsMarked(changed, 'DONE'), [
      '[b 4/6] COPY b.txt /b.txt',
      '[b 5/6] RUN cat /a.out /b.txt > /all',
      '[b 6/6] RUN echo done >> /all',
    ], changed);
    await shows('early\na1\nb2\ndone\n');
  });
});

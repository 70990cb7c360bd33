// The image commands, at the top level as docker has them (`kiln pull`, `kiln images`, ...)
// and under `kiln image` (`image ls`, `image inspect`, `image rm`, ...). Each runs through the
// daemon's native image API (src/api/images.ts). A command's module loads only when that
// command runs, which keeps `kiln --help` and every other command's start-up fast.
import { Command, Option } from 'commander';
import { collectRepeatable } from '../../flags.js';
import type { ImagesFlags } from './list.js';
import type { LoginFlags } from './login.js';
import type { PullFlags } from './pull-push.js';
import type { LoadFlags, SaveFlags } from './save-load.js';

export function registerImageCommands(program: Command): void {
  program
    .option('--root <dir>', 'the image store root (default $KILN_ROOT, else /var/lib/kiln)');
  const image = program.command('image').description('manage images');
  for (const parent of [program, image]) addShared(parent, parent === image);
  addLogin(program);
}

function addShared(parent: Command, nested: boolean): void {
  parent
    .command('pull')
    .description('download an image from a registry')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('--platform <os/arch>', 'the platform to pull (default: this machine)')
    .option('-q, --quiet', 'print only the image name')
    .action(async (name: string, flags: PullFlags, cmd: Command) => (await import('./pull-push.js')).runPull(cmd, name, flags));
  parent
    .command('push')
    .description('upload an image to a registry')
    .argument('<name>', 'NAME[:TAG]')
    .option('-a, --all-tags', 'push every local tag of the repository')
    .option('-q, --quiet', 'print only the pushed reference')
    .action(async (name: string, flags: { quiet?: boolean; allTags?: boolean }, cmd: Command) => (await import('./pull-push.js')).runPush(cmd, name, flags));
  const ls = parent
    .command(nested ? 'ls' : 'images')
    .description('list images')
    .argument('[repository]', 'show only this repository (a glob on REPOSITORY[:TAG])')
    .option('-q, --quiet', 'print only image IDs')
    .option('-a, --all', 'show all images (kiln keeps no intermediate images)')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'do not truncate image IDs')
    .option('-f, --filter <filter>', 'filter output, e.g. reference=busybox (repeatable)', collectRepeatable, [])
    .option('--format <format>', 'table, json, or a Go template such as {{.Repository}}:{{.Tag}}')
    .action(async (repo: string | undefined, flags: ImagesFlags & { trunc?: boolean }, cmd: Command) =>
      (await import('./list.js')).runImages(cmd, repo, { ...flags, noTrunc: flags.trunc === false }));
  if (nested) ls.alias('list');
  parent
    .command(nested ? 'rm' : 'rmi')
    .description('remove images')
    .argument('<image...>', 'names or IDs')
    .option('-f, --force', 'remove every name of an image given by ID')
    .action(async (names: string[], flags: { force?: boolean }, cmd: Command) => (await import('./tag-rmi.js')).runRmi(cmd, names, flags));
  parent
    .command('tag')
    .description('add a name to an image')
    .argument('<source>', 'SOURCE_IMAGE[:TAG] or ID')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action(async (source: string, target: string, _flags: unknown, cmd: Command) => (await import('./tag-rmi.js')).runTag(cmd, source, target));
  parent
    .command('save')
    .description('write images to a tar archive (docker-archive, OCI inside) or an OCI layout')
    .argument('<image...>', 'names or IDs')
    .option('-o, --output <path>', 'the file (or directory, for --format oci-layout) to write; default standard output')
    .addOption(new Option('--format <format>', 'docker: docker-archive tar; oci: OCI layout tar; oci-layout: OCI layout directory').choices(['docker', 'oci', 'oci-layout']).default('docker'))
    .action(async (names: string[], flags: SaveFlags, cmd: Command) => (await import('./save-load.js')).runSave(cmd, names, flags));
  parent
    .command('load')
    .description('load images from a docker-archive or OCI tar (gzip allowed), or an OCI layout directory')
    .option('-i, --input <path>', 'the tar file or OCI layout directory; default standard input')
    .option('-q, --quiet', 'print only the loaded names')
    .action(async (flags: LoadFlags, cmd: Command) => (await import('./save-load.js')).runLoad(cmd, flags));
  if (nested) {
    parent
      .command('inspect')
      .description('show the details of images as JSON')
      .argument('<image...>', 'names or IDs')
      .option('-f, --format <template>', 'a Go template such as {{.Id}} or {{json .Config}}')
      .action(async (names: string[], flags: { format?: string }, cmd: Command) => (await import('./inspect.js')).runInspect(cmd, names, flags));
  }
}

function addLogin(program: Command): void {
  program
    .command('login')
    .description('log in to a registry')
    .argument('[server]', 'the registry (default Docker Hub)')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (server: string | undefined, flags: LoginFlags, cmd: Command) => (await import('./login.js')).runLogin(cmd, server, flags));
  program
    .command('logout')
    .description('log out of a registry')
    .argument('[server]', 'the registry (default Docker Hub)')
    .action(async (server: string | undefined) => (await import('./login.js')).runLogout(server));
}

// Resolving a Dockerfile USER (`name`, `uid`, `name:group`, `uid:gid`, …) to numeric ids
// through the image's own /etc/passwd and /etc/group, with the rules of moby/sys/user's
// GetExecUser that Docker and runc share:
// - a numeric user needs no passwd entry (its gid is then 0 and its home `/`);
// - a user name must have an entry, and so must a group name;
// - without an explicit group, the gid is the passwd entry's and the supplementary groups are
//   those of /etc/group that list the user by name; with one, there are none;
// - an empty USER is uid 0, looked up like a number.
import { KilnError } from '../util/errors.js';
import { readRootfsFile } from './root-file.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Linux ids are unsigned 32-bit, but Docker and runc refuse anything above int32. */
const maxId = 2 ** 31 - 1;
/** Bounds what a hostile image can make us buffer. */
const maxDatabaseBytes = 4 * 1024 * 1024;

function parseId(text: string): number | undefined {
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

function checkRange(id: number, what: 'uid' | 'gid'): number {
  if (id < 0 || id > maxId) {
    throw new KilnError('INVALID_ARGUMENT', `${what} ${id} is out of range`, { hint: `ids go from 0 to ${maxId}` });
  }
  return id;
}

/** Lines of a colon-separated database with enough fields and a numeric id in `idField`. */
function records(text: string | undefined, minFields: number, idField: number): { fields: string[]; id: number }[] {
  const result: { fields: string[]; id: number }[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const id = parseId(fields[idField] ?? '');
    if (fields.length >= minFields && id !== undefined) result.push({ fields, id });
  }
  return result;
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return records(text, 4, 2).map(({ fields, id }) => ({
    name: fields[0] ?? '',
    uid: id,
    gid: parseId(fields[3] ?? '') ?? 0,
    home: fields[5] === undefined || fields[5] === '' ? '/' : fields[5],
  }));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return records(text, 3, 2).map(({ fields, id }) => ({
    name: fields[0] ?? '',
    gid: id,
    members: (fields[3] ?? '').split(',').map((member) => member.trim()).filter((member) => member !== ''),
  }));
}

function splitUserSpec(spec: string): { user: string; group: string | undefined } {
  const parts = spec.split(':');
  if (parts.length > 2) {
    throw new KilnError('INVALID_ARGUMENT', `invalid user "${spec}"`, { hint: 'use name, uid, name:group or uid:gid' });
  }
  return { user: parts[0] ?? '', group: parts[1] };
}

function findUser(users: PasswdEntry[], userArg: string): { entry?: PasswdEntry; uid: number } {
  const uidArg = userArg === '' ? 0 : parseId(userArg);
  const entry = users.find((u) => (userArg !== '' && u.name === userArg) || (uidArg !== undefined && u.uid === uidArg));
  if (entry !== undefined) return { entry, uid: entry.uid };
  if (uidArg === undefined) {
    throw new KilnError('NOT_FOUND', `unable to find user ${userArg}: no matching entries in passwd file`);
  }
  return { uid: checkRange(uidArg, 'uid') };
}

function findGroup(groups: GroupEntry[], groupArg: string): number {
  const gidArg = parseId(groupArg);
  const entry = groups.find((g) => g.name === groupArg || (gidArg !== undefined && g.gid === gidArg));
  if (entry !== undefined) return entry.gid;
  if (gidArg === undefined) {
    throw new KilnError('NOT_FOUND', `unable to find group ${groupArg}: no matching entries in group file`);
  }
  return checkRange(gidArg, 'gid');
}

/** Resolves `userSpec` against the passwd and group databases given as text (undefined: absent). */
export function resolveUserIn(userSpec: string, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const { user: userArg, group: groupArg } = splitUserSpec(userSpec);
  const { entry, uid } = findUser(parsePasswd(passwd), userArg);
  const home = entry?.home ?? '/';
  if (groupArg !== undefined && groupArg !== '') {
    return { uid, gid: findGroup(parseGroup(group), groupArg), additionalGids: [], home };
  }
  const additionalGids = entry === undefined
    ? []
    : parseGroup(group).filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  return { uid, gid: entry?.gid ?? 0, additionalGids, home };
}

/** An image's /etc/passwd and /etc/group as text; absent files are left out. */
export interface UserDatabase {
  passwd?: string;
  group?: string;
}

/** Reads the user database of a rootfs; symlinks in the image never lead out of it. */
export async function readUserDatabase(rootfs: string): Promise<UserDatabase> {
  const [passwd, group] = await Promise.all([
    readRootfsFile(rootfs, '/etc/passwd', maxDatabaseBytes),
    readRootfsFile(rootfs, '/etc/group', maxDatabaseBytes),
  ]);
  return { ...(passwd === undefined ? {} : { passwd }), ...(group === undefined ? {} : { group }) };
}

/** Resolves a USER inside an image's rootfs. */
export async function resolveUser(rootfs: string, user: string): Promise<ResolvedUser> {
  const { passwd, group } = await readUserDatabase(rootfs);
  return resolveUserIn(user, passwd, group);
}

// A syntax check of image references (the grammar of distribution/reference, which BuildKit
// applies to every base image before resolving it), so that `FROM Ubuntu` or `FROM a b:c`
// fails while planning, pointing at the FROM line, instead of at the registry.

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const path = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainOnly = new RegExp(`^${domain}$`);
const tagOnly = new RegExp(`^${tag}$`);
const digestOnly = new RegExp(`^${digest}$`);

const maxNameLength = 255;

/** Why `ref` is not a valid image reference, or undefined when it is. */
export function imageReferenceProblem(ref: string): string | undefined {
  const at = ref.indexOf('@');
  const nameAndTag = at === -1 ? ref : ref.slice(0, at);
  if (at !== -1 && !digestOnly.test(ref.slice(at + 1))) return 'invalid digest';
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  if (hasTag && !tagOnly.test(nameAndTag.slice(colon + 1))) return 'invalid tag';
  if (name === '') return 'repository name is empty';
  if (name.length > maxNameLength) return `repository name must not be more than ${maxNameLength} characters`;
  const [registry, remote] = splitDomain(name);
  if (registry !== undefined && !domainOnly.test(registry)) return 'invalid registry host';
  if (remote !== remote.toLowerCase()) return 'repository name must be lowercase';
  if (!path.test(remote)) return 'invalid reference format';
  return undefined;
}

// The first component is a registry host when it looks like one (has `.` or `:`, is
// `localhost`, or has upper-case letters), as docker's normalisation decides.
function splitDomain(name: string): [string | undefined, string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [undefined, name];
  const first = name.slice(0, slash);
  const isDomain = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isDomain ? [first, name.slice(slash + 1)] : [undefined, name];
}

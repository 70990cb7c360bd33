// `# syntax=` and the BUILDKIT_SYNTAX build-arg. BuildKit would pull the named frontend image
// and hand the build to it; kiln has the Dockerfile frontend built in, so a syntax naming
// docker/dockerfile (any tag or digest, -upstream, labs) selects it without pulling anything,
// and any other frontend is refused clearly rather than silently built the wrong way.
import { KilnError } from '../../util/errors.js';
import type { DockerfileAST } from '../ast.js';
import { errorAt, sourceOf } from './errors.js';

export interface FrontendSelection {
  /** Always the built-in Dockerfile frontend: anything else is an error. */
  kind: 'builtin';
  /** Where the choice came from. */
  source: 'default' | 'directive' | 'build-arg';
  /** The frontend reference as written (first word of the value), if one was given. */
  ref: string | undefined;
  /** True for a `-labs` tag: the experimental instructions and flags are wanted. */
  labs: boolean;
}

/** `dockerfile.v0` is BuildKit's name for its built-in frontend. */
const builtinName = 'dockerfile.v0';
const dockerfileImage =
  /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?docker\/dockerfile(?:-upstream)?(?::(?<tag>[\w][\w.-]{0,127}))?(?:@sha256:[0-9a-f]{64})?$/;

const hint = 'kiln has the Dockerfile frontend built in: use # syntax=docker/dockerfile:1, or remove the syntax line';

export function selectFrontend(ast: DockerfileAST, buildArgs: ReadonlyMap<string, string>): FrontendSelection {
  const fromArg = buildArgs.get('BUILDKIT_SYNTAX');
  if (fromArg !== undefined) {
    const ref = firstWord(fromArg);
    if (isBuiltinFrontend(ref)) return { kind: 'builtin', source: 'build-arg', ref, labs: isLabs(ref) };
    throw new KilnError('INVALID_ARGUMENT', `external frontend images are not supported: ${ref} (from BUILDKIT_SYNTAX)`, {
      hint: 'set BUILDKIT_SYNTAX=dockerfile.v0 or docker/dockerfile:1, or leave it out',
      details: { flag: '--build-arg' },
    });
  }
  const directive = ast.directives.find((d) => d.name === 'syntax');
  if (directive === undefined) return { kind: 'builtin', source: 'default', ref: undefined, labs: false };
  const ref = firstWord(directive.value);
  if (isBuiltinFrontend(ref)) return { kind: 'builtin', source: 'directive', ref, labs: isLabs(ref) };
  throw errorAt(sourceOf(ast), directive.range, `external frontend images are not supported: ${ref}`, hint);
}

/** True for the references that mean "the standard Dockerfile frontend". */
export function isBuiltinFrontend(ref: string): boolean {
  return ref === builtinName || dockerfileImage.test(ref);
}

function isLabs(ref: string): boolean {
  return /labs/.test(dockerfileImage.exec(ref)?.groups?.['tag'] ?? '');
}

// BuildKit passes the rest of the value to the frontend as its command line.
function firstWord(value: string): string {
  return value.trim().split(/\s+/)[0] ?? '';
}

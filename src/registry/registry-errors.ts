// Turning what a registry says into KilnErrors. Registries answer failures with a status and
// usually a body `{"errors":[{"code","message","detail"}]}` (distribution spec, "Error Codes");
// the user sees the registry's own words next to the host and repository they were about,
// and never an undici error or a stack.
import { KilnError, type ErrorCode } from '../util/errors.js';

/** What a request was about, for messages. */
export interface RequestContext {
  /** The registry as the user names it, e.g. `docker.io` or `127.0.0.1:5000`. */
  registry: string;
  /** Repository path, when the request is about one. */
  repository?: string;
  /** The reference the operation was asked for, for `details.reference`. */
  reference: string;
}

export interface RegistryErrorEntry {
  code?: string;
  message?: string;
  detail?: unknown;
}

/** The `errors` array of a registry error body; empty when the body is not one. */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.filter((e): e is RegistryErrorEntry => typeof e === 'object' && e !== null);
  } catch {
    return [];
  }
}

function describeEntries(entries: RegistryErrorEntry[]): string {
  return entries
    .map((e) => [e.code, e.message].filter((part) => part !== undefined && part !== '').join(': '))
    .filter((text) => text !== '')
    .join('; ');
}

function subject(ctx: RequestContext): string {
  return ctx.repository === undefined ? ctx.registry : `${ctx.registry}/${ctx.repository}`;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429 || status >= 500) return 'UNAVAILABLE';
  if (status === 409) return 'CONFLICT';
  return 'INVALID_ARGUMENT';
}

/** An error for a registry response with an unexpected status; `body` is its (capped) text. */
export function statusError(status: number, body: string, ctx: RequestContext, action: string): KilnError {
  const said = describeEntries(parseErrorBody(body));
  const tail = said === '' ? `HTTP ${status}` : said;
  const details = { reference: ctx.reference };
  const code = codeForStatus(status);
  if (code === 'UNAUTHORIZED') {
    return new KilnError(code, `authentication required to ${action} ${subject(ctx)}: ${tail}`, {
      hint: `kiln login ${ctx.registry}`,
      details,
    });
  }
  if (code === 'DENIED') {
    return new KilnError(code, `access to ${subject(ctx)} denied while trying to ${action} it: ${tail}`, {
      hint: `check that your account on ${ctx.registry} may ${action} this repository`,
      details,
    });
  }
  return new KilnError(code, `registry ${ctx.registry} failed to ${action} ${subject(ctx)}: ${tail}`, { details });
}

/** A connection-level failure (refused, reset, timed out, TLS) talking to a registry. */
export function connectionError(err: unknown, ctx: RequestContext, action: string): KilnError {
  if (err instanceof KilnError) return err;
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  const why = typeof code === 'string' ? `${reason} (${code})` : reason;
  return new KilnError('UNAVAILABLE', `cannot ${action} ${subject(ctx)}: registry ${ctx.registry} unreachable: ${why}`, {
    hint: 'check the registry address and your network, then try again',
    details: { reference: ctx.reference },
  });
}

/** Transient failures worth another attempt: resets, timeouts, refused connections. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    [
      'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
    ].includes(code)
  );
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

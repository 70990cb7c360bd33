// Errors are data: a code from a closed set, what happened, what to do about it, and
// structured details. They serialise to JSON so that they cross HTTP and worker threads
// unchanged, and one table maps a code to its HTTP status and CLI exit code.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNAVAILABLE'
  | 'CANCELED'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL';

/** 1-based line and column of a character in a source file. */
export interface Position {
  line: number;
  column: number;
}

/** A half-open range: `end` is the position just after the last character. */
export interface Range {
  start: Position;
  end: Position;
}

export interface SourceLocation {
  file: string;
  range: Range;
  /** The physical source line(s) the range points into, for the caret display. */
  text?: string;
}

export interface ErrorDetails {
  source?: SourceLocation;
  vertex?: string;
  flag?: string;
  reference?: string;
  /** The last lines a failed build step printed. */
  log?: string[];
  /** A failed RUN's command and exit status (docker build exits with it). */
  command?: string;
  exitCode?: number;
}

export interface KilnErrorJSON {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: ErrorDetails;
  cause?: KilnErrorJSON;
}

const table: Record<ErrorCode, { status: number; exitCode: number }> = {
  NOT_FOUND: { status: 404, exitCode: 1 },
  ALREADY_EXISTS: { status: 409, exitCode: 1 },
  INVALID_ARGUMENT: { status: 400, exitCode: 1 },
  FAILED_PRECONDITION: { status: 412, exitCode: 1 },
  CONFLICT: { status: 409, exitCode: 1 },
  UNAUTHORIZED: { status: 401, exitCode: 1 },
  DENIED: { status: 403, exitCode: 1 },
  UNAVAILABLE: { status: 503, exitCode: 1 },
  CANCELED: { status: 499, exitCode: 130 },
  DEADLINE_EXCEEDED: { status: 504, exitCode: 1 },
  NOT_IMPLEMENTED: { status: 501, exitCode: 1 },
  INTERNAL: { status: 500, exitCode: 1 },
};

/** Marks a KilnError of any copy of this module (a global symbol: the same in every copy). */
const kilnErrorBrand = Symbol.for('kiln.KilnError');

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: ErrorDetails;

  /**
   * `instanceof KilnError` holds for the errors of another copy of this module too: the bundled
   * CLI's start file and the modules it loads on demand each have one (scripts/bundle-cli.mjs).
   * Subclasses keep the usual prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== KilnError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && kilnErrorBrand in value;
  }

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KilnError';
    Object.defineProperty(this, kilnErrorBrand, { value: true });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  get httpStatus(): number {
    return table[this.code].status;
  }

  get exitCode(): number {
    return table[this.code].exitCode;
  }

  toJSON(): KilnErrorJSON {
    const json: KilnErrorJSON = { code: this.code, message: this.message };
    if (this.hint !== undefined) json.hint = this.hint;
    if (Object.keys(this.details).length > 0) json.details = this.details;
    if (this.cause instanceof KilnError) json.cause = this.cause.toJSON();
    return json;
  }

  static fromJSON(json: KilnErrorJSON): KilnError {
    const cause = json.cause ? KilnError.fromJSON(json.cause) : undefined;
    return new KilnError(json.code, json.message, { hint: json.hint, details: json.details, cause });
  }
}

/** Build-input error located in a source file (Dockerfile, .dockerignore, bake file). */
export function sourceError(
  message: string,
  source: SourceLocation,
  hint?: string,
  code: ErrorCode = 'INVALID_ARGUMENT',
): KilnError {
  return new KilnError(code, message, { hint, details: { source } });
}

export function isKilnError(err: unknown): err is KilnError {
  return err instanceof KilnError;
}

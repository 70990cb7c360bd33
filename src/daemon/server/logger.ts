// The daemon's log: one JSON object per line on stderr, so that a service manager's journal or
// `jq` can read it. Callers pass named fields (request id, method, path, status, duration);
// nothing here ever sees a request body, so neither bodies nor credentials reach the log.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  reqId?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  [key: string]: string | number | boolean | undefined;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function jsonLogger(options: { debug: boolean; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const log = (level: LogLevel) => (msg: string, fields: LogFields = {}): void => {
    if (level === 'debug' && !options.debug) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** An error's message for a log line (never its details, which may carry user input). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

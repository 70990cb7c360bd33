// The subset of Go templates that `--format` is used with in scripts: `{{.Field}}`,
// `{{.Field.Sub}}`, `{{json .}}` / `{{json .Field}}`, literal text, `\t` and `\n`, and the
// `table` prefix that adds a header row. Anything else is refused with the flag named rather
// than printed wrong.
import { flagError } from './report.js';
import { formatTable } from './table.js';

const actionPattern = /\{\{-?\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*-?\}\}/g;

export function renderTemplate(format: string, value: unknown): string {
  checkTemplate(format);
  const text = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.replace(actionPattern, (_m, json: string | undefined, path: string) => {
    const field = lookup(value, path);
    if (json !== undefined) return JSON.stringify(field ?? null);
    if (field === undefined || field === null) return '<no value>';
    return typeof field === 'object' ? JSON.stringify(field) : String(field);
  });
}

/** Rows for `table {{.A}}\t{{.B}}`: the header from the field names, then one row per value. */
export function renderTableTemplate(format: string, values: unknown[], headers: Record<string, string>): string {
  const body = format.replace(/^table\s*/, '');
  checkTemplate(body);
  const columns = body.replace(/\\t/g, '\t').split('\t');
  const header = columns.map((c) => c.replace(actionPattern, (_m, _j, path: string) => headers[path] ?? path.toUpperCase()));
  const rows = values.map((v) => columns.map((c) => renderTemplate(c, v)));
  return formatTable(header, rows);
}

function checkTemplate(format: string): void {
  const leftover = format.replace(actionPattern, '');
  if (leftover.includes('{{')) {
    throw flagError('--format', `unsupported template ${JSON.stringify(format)}`, 'kiln supports {{.Field}}, {{.Field.Sub}}, {{json .}} and {{json .Field}}, with an optional "table " prefix');
  }
}

function lookup(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

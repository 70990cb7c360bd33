// One CSV record, as Go's encoding/csv reads it (BuildKit parses `--mount` and `--device`
// values with tonistiigi/go-csvvalue): comma-separated fields, a field may be wrapped in
// double quotes (which then may hold commas, and `""` for a quote), a quote anywhere else
// is an error.

export class CsvError extends Error {}

export function csvFields(line: string): string[] {
  const text = line.replace(/\r?\n$/, '');
  if (text === '') throw new CsvError('empty value');
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    const next = text[pos] === '"' ? quotedField(text, pos) : bareField(text, pos);
    fields.push(next.field);
    if (next.end >= text.length) return fields;
    pos = next.end + 1;
  }
}

interface FieldEnd {
  field: string;
  /** Index of the comma after the field, or the text length. */
  end: number;
}

function bareField(text: string, start: number): FieldEnd {
  const comma = text.indexOf(',', start);
  const end = comma === -1 ? text.length : comma;
  const field = text.slice(start, end);
  const quote = field.indexOf('"');
  if (quote !== -1) throw new CsvError(`bare " in non-quoted field at column ${start + quote + 1}`);
  return { field, end };
}

function quotedField(text: string, start: number): FieldEnd {
  let field = '';
  let pos = start + 1;
  for (;;) {
    const quote = text.indexOf('"', pos);
    if (quote === -1) throw new CsvError(`extraneous or missing " in quoted field at column ${start + 1}`);
    field += text.slice(pos, quote);
    const after = text[quote + 1];
    if (after === '"') {
      field += '"';
      pos = quote + 2;
    } else if (after === ',' || after === undefined) {
      return { field, end: quote + 1 };
    } else {
      throw new CsvError(`extraneous or missing " in quoted field at column ${quote + 1}`);
    }
  }
}

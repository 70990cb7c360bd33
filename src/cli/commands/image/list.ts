// `kiln images` / `kiln image ls`: one row per name, as docker's REPOSITORY TAG IMAGE ID
// CREATED SIZE table, or IDs only (-q), or one JSON object per line (--format json), or a
// Go-template subset. The daemon lists the images; filters and rendering happen here.
import type { Command } from 'commander';
import { shortImageId, type ImageSummary } from '../../../api/images.js';
import { listImages } from '../../client/images.js';
import { flagError } from '../../report.js';
import { formatTable } from '../../table.js';
import { renderTableTemplate, renderTemplate } from '../../template.js';
import { goTimeString, humanDuration, humanSize } from '../../units.js';
import { daemonAddress } from '../../daemon-address.js';

export interface ImagesFlags {
  quiet?: boolean;
  digests?: boolean;
  noTrunc?: boolean;
  all?: boolean;
  filter: string[];
  format?: string;
}

/** The fields docker's image formatter offers, with its values. */
interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

const headers: Record<string, string> = {
  ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE', Digest: 'DIGEST',
};

export async function runImages(command: Command, repository: string | undefined, flags: ImagesFlags): Promise<void> {
  const filters = [...flags.filter.map(parseFilter), ...(repository === undefined ? [] : [referenceFilter(repository)])];
  const rows = (await listImages(daemonAddress(command))).flatMap((image) => imageRows(image, flags));
  const shown = rows.filter((row) => filters.every((f) => f(row)));
  process.stdout.write(render(shown, flags));
}

function render(rows: ImageRow[], flags: ImagesFlags): string {
  if (flags.quiet === true) return [...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join('');
  const format = flags.format;
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format !== undefined && format !== 'table') {
    if (format.startsWith('table')) return renderTableTemplate(format, rows, headers);
    return rows.map((r) => `${renderTemplate(format, r)}\n`).join('');
  }
  const columns: (keyof ImageRow)[] = ['Repository', 'Tag', ...(flags.digests === true ? ['Digest' as const] : []), 'ID', 'CreatedSince', 'Size'];
  return formatTable(columns.map((c) => headers[c] ?? c), rows.map((r) => columns.map((c) => r[c])));
}

function imageRows(image: ImageSummary, flags: ImagesFlags): ImageRow[] {
  const id = flags.noTrunc === true ? image.id : shortImageId(image.id);
  return image.names.map((name) => ({
    Containers: 'N/A',
    CreatedAt: goTimeString(new Date(image.created)),
    CreatedSince: `${humanDuration(Date.now() - image.created)} ago`,
    Digest: name.digest ?? '<none>',
    ID: id,
    Repository: name.repository ?? '<none>',
    SharedSize: 'N/A',
    Size: humanSize(image.size),
    Tag: name.tag ?? '<none>',
    UniqueSize: 'N/A',
    VirtualSize: humanSize(image.size),
  }));
}

function parseFilter(text: string): (row: ImageRow) => boolean {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (key === 'reference') return referenceFilter(value);
  throw flagError('--filter', `invalid filter ${JSON.stringify(key)}`, 'kiln supports reference=<pattern> (e.g. reference=busybox, reference=*/app:1*)');
}

/** docker's reference filter: a glob over `repository` or `repository:tag` of the familiar name. */
function referenceFilter(pattern: string): (row: ImageRow) => boolean {
  const glob = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return (row) => glob.test(row.Repository) || glob.test(`${row.Repository}:${row.Tag}`);
}

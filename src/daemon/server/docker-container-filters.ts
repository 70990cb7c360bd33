// The `filters` of `GET /containers/json` (docker ps --filter): name (a regular expression on
// the name with its leading slash, so `name=web` matches part of a name), id (a prefix), status,
// ancestor (the image as named or by ID), label (`key` or `key=value`) and exited (the exit
// code). Values of one filter are alternatives; different filters must all hold.
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import type { ContainerRecord } from '../containers/record.js';
import { parseFilters, type Filters } from './docker-image-filters.js';

const known = ['name', 'id', 'status', 'ancestor', 'label', 'exited'] as const;
const statuses = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function parseContainerFilters(text: string | null): Filters {
  const filters = parseFilters(text, known);
  for (const status of filters.get('status') ?? []) {
    if (!statuses.has(status)) throw new KilnError('INVALID_ARGUMENT', `invalid filter 'status=${status}'`);
  }
  for (const code of filters.get('exited') ?? []) {
    if (!/^\d+$/.test(code)) throw new KilnError('INVALID_ARGUMENT', `invalid filter 'exited=${code}'`);
  }
  return filters;
}

function nameMatches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(`/${name}`);
  } catch {
    return `/${name}`.includes(pattern);
  }
}

function normalized(text: string): string {
  try {
    return formatReference(withDefaultTag(parseNormalizedReference(text)));
  } catch {
    return text;
  }
}

function ancestorMatches(wanted: string, record: ContainerRecord): boolean {
  const hex = wanted.replace(/^sha256:/, '');
  if (/^[a-f0-9]+$/.test(hex) && record.imageId.slice('sha256:'.length).startsWith(hex)) return true;
  return normalized(wanted) === normalized(record.image);
}

function labelMatches(wanted: string, record: ContainerRecord): boolean {
  const labels = record.config.labels ?? {};
  const eq = wanted.indexOf('=');
  return eq < 0 ? Object.hasOwn(labels, wanted) : labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

const tests: Record<(typeof known)[number], (value: string, record: ContainerRecord) => boolean> = {
  name: (value, record) => nameMatches(value, record.name),
  id: (value, record) => record.id.startsWith(value),
  status: (value, record) => record.state.status === value,
  ancestor: ancestorMatches,
  label: labelMatches,
  exited: (value, record) => record.state.status === 'exited' && (record.state.exitCode ?? 0) === Number(value),
};

export function containerMatches(filters: Filters, record: ContainerRecord): boolean {
  for (const [name, values] of filters) {
    const test = tests[name as keyof typeof tests];
    // Labels must all hold; the other filters' values are alternatives.
    const holds = name === 'label' ? values.every((value) => test(value, record)) : values.some((value) => test(value, record));
    if (!holds) return false;
  }
  return true;
}

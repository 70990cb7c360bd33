// The human-readable sizes and ages docker prints (github.com/docker/go-units): decimal units
// with three significant digits ("4.26MB"), and coarse durations ("3 weeks ago").

/** docker's State.String() for `ps` and `/containers/json`: "Up 3 seconds", "Exited (3) 2 minutes ago", "Created". */
export function containerStatusText(state: { status: string; exitCode?: number; startedAt?: string; finishedAt?: string }, now: number): string {
  const since = (iso: string | undefined): string => humanDuration(now - Date.parse(iso ?? ''));
  if (state.status === 'running') return `Up ${since(state.startedAt)}`;
  if (state.status === 'exited') return `Exited (${state.exitCode ?? 0}) ${since(state.finishedAt)} ago`;
  return 'Created';
}

const sizeUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < sizeUnits.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(3))}${sizeUnits[unit] as string}`;
}

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** Go's time.Time String() as docker's CreatedAt shows it: `2024-05-01 10:00:00 +0000 UTC`. */
export function goTimeString(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

// STOPSIGNAL values: a Linux signal name with or without `SIG` (any case), or its number
// (moby/sys/signal ParseSignal). BuildKit accepts any non-zero integer; kiln keeps to the
// numbers a Linux kernel can deliver (1-64), since anything else fails only at `docker stop`.

const names: readonly [string, number][] = [
  ['HUP', 1], ['INT', 2], ['QUIT', 3], ['ILL', 4], ['TRAP', 5], ['ABRT', 6], ['IOT', 6], ['BUS', 7],
  ['FPE', 8], ['KILL', 9], ['USR1', 10], ['SEGV', 11], ['USR2', 12], ['PIPE', 13], ['ALRM', 14],
  ['TERM', 15], ['STKFLT', 16], ['CHLD', 17], ['CLD', 17], ['CONT', 18], ['STOP', 19], ['TSTP', 20],
  ['TTIN', 21], ['TTOU', 22], ['URG', 23], ['XCPU', 24], ['XFSZ', 25], ['VTALRM', 26], ['PROF', 27],
  ['WINCH', 28], ['IO', 29], ['POLL', 29], ['PWR', 30], ['SYS', 31],
];

const rtMin = 34;
const rtMax = 64;

function signalTable(): Map<string, number> {
  const table = new Map(names);
  table.set('RTMIN', rtMin);
  table.set('RTMAX', rtMax);
  for (let i = 1; i <= 15; i++) table.set(`RTMIN+${i}`, rtMin + i);
  for (let i = 1; i <= 14; i++) table.set(`RTMAX-${i}`, rtMax - i);
  return table;
}

const signals = signalTable();

/** The signal number, or undefined when the text names no signal. */
export function parseSignal(text: string): number | undefined {
  if (/^[+-]?\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= rtMax ? n : undefined;
  }
  const upper = text.toUpperCase();
  return signals.get(upper.startsWith('SIG') ? upper.slice(3) : upper);
}

export const signalNames: readonly string[] = [...signals.keys()].map((n) => `SIG${n}`);

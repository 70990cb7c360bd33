// Signals as docker takes them on the command line (KILL, SIGKILL, 9) and as runc takes them
// (SIGKILL), for `kill -s`, `run --stop-signal` and an image's STOPSIGNAL.
import { constants } from 'node:os';
import { KilnError } from '../../util/errors.js';

export function parseSignal(text: string, flag = '--signal'): string {
  const upper = text.toUpperCase();
  const name = /^\d+$/.test(text)
    ? Object.entries(constants.signals).find(([, number]) => number === Number(text))?.[0]
    : upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (name === undefined || !(name in constants.signals)) {
    throw new KilnError('INVALID_ARGUMENT', `invalid signal: ${text}`, { details: { flag } });
  }
  return name;
}

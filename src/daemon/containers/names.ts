// Container names as docker allows and invents them: a user's --name must match docker's
// restricted pattern; without one the container gets a random adjective_surname pair, the
// style of moby's namesgenerator (a smaller word list of our own).
import { randomInt } from 'node:crypto';
import { KilnError } from '../../util/errors.js';

/** moby's RestrictedNamePattern. */
const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const adjectives = [
  'admiring', 'brave', 'clever', 'dazzling', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen',
  'loving', 'modest', 'nifty', 'optimistic', 'peaceful', 'quirky', 'relaxed', 'serene', 'trusting', 'vibrant',
];

const surnames = [
  'agnesi', 'babbage', 'curie', 'darwin', 'euler', 'franklin', 'galois', 'hopper', 'johnson', 'kepler',
  'lovelace', 'meitner', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak', 'yalow',
];

/** The name without docker's leading slash, checked against docker's pattern. */
export function validateName(text: string): string {
  const name = text.startsWith('/') ? text.slice(1) : text;
  if (!namePattern.test(name)) {
    throw new KilnError('INVALID_ARGUMENT', `Invalid container name (${text}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {
      details: { flag: '--name' },
    });
  }
  return name;
}

/** A random name; after a collision, docker's retry appends a digit. */
export function generateName(attempt: number): string {
  const pick = (words: string[]): string => words[randomInt(words.length)] as string;
  const name = `${pick(adjectives)}_${pick(surnames)}`;
  return attempt === 0 ? name : `${name}${randomInt(10)}`;
}

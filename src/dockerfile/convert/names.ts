// The names progress shows for a stage's steps, as BuildKit's prefixCommand builds them:
// `[stage-0 2/4] RUN echo hi`, the stage name left out when the file has a single stage. Only
// steps that make a vertex (FROM an image, RUN, COPY, ADD, WORKDIR) are counted.
import { ShellLex, type Env } from '../words.js';
import type { PlannedStage } from '../instructions/index.js';

export class StepNamer {
  #index = 0;

  constructor(
    private readonly stageName: string | undefined,
    readonly total: number,
  ) {}

  /** The next step's name: the counter advances on every call, as prefixCommand's does. */
  next(text: string): string {
    if (this.total === 0) return text;
    this.#index++;
    const width = Math.floor(1 + Math.log10(this.total));
    const stage = this.stageName === undefined ? '' : `${this.stageName} `;
    return `[${stage}${String(this.#index).padStart(width)}/${this.total}] ${text}`;
  }
}

/** BuildKit counts the FROM of a stage on an image, and each RUN, COPY, ADD and WORKDIR. */
export function stepTotal(stage: PlannedStage): number {
  const fromImage = stage.base.kind === 'image' ? 1 : 0;
  return fromImage + stage.stage.commands.filter((c) => ['run', 'copy', 'add', 'workdir'].includes(c.kind)).length;
}

/**
 * The instruction line with its variables replaced (BuildKit's processCmdEnv + uppercaseCmd):
 * only for display, so a line the lexer rejects is shown as written.
 */
export function displayLine(original: string, env: Env, lex: ShellLex): string {
  let text = original;
  try {
    text = lex.processWord(original, env).value;
  } catch {
    // Shown unexpanded: the step itself was already expanded by dispatch, this is only its label.
  }
  const space = text.indexOf(' ');
  return space < 0 ? text.toUpperCase() : text.slice(0, space).toUpperCase() + text.slice(space);
}

/** The lexers names use: RUN keeps quotes and unset variables as written; others expand as words. */
export interface NameLexers {
  run: ShellLex;
  word: ShellLex;
}

export function nameLexers(escapeToken: '\\' | '`'): NameLexers {
  return {
    run: new ShellLex(escapeToken, { rawQuotes: true, skipUnsetEnv: true }),
    word: new ShellLex(escapeToken),
  };
}

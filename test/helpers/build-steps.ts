// Reading `kiln build --progress=plain` output in tests: which of the build's own steps ended
// with a mark (DONE, CACHED). A step's name is on its first `#N name` line; its mark comes
// later as `#N CACHED` or `#N DONE 0.3s`.

export interface StepsOptions {
  /** Leave out FROM steps too (a base that is resolved again every build). */
  exceptFrom?: boolean;
}

/** The names of the steps whose progress ended with `mark`, `[internal]` ones left out. */
export function stepsMarked(stderr: string, mark: string, options: StepsOptions = {}): string[] {
  const names = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const match = /^#(\d+) (.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && !names.has(match[1])) names.set(match[1], match[2]);
  }
  return stderr.split('\n').filter((line) => /^#\d+ /.test(line) && (line.endsWith(` ${mark}`) || line.includes(` ${mark} `)))
    .map((line) => names.get(/^#(\d+)/.exec(line)?.[1] ?? '') ?? '')
    // `[internal] load build context` reads the context every build.
    .filter((name) => name.startsWith('[') && !name.startsWith('[internal]') && !(options.exceptFrom === true && /\] FROM /.test(name)));
}

/** A step as `--progress=rawjson` ended it. */
export interface EndedStep {
  name: string;
  cached: boolean;
  error?: string;
}

/** A build's steps from its rawjson progress: each vertex once, as it ended. */
export function rawjsonSteps(stderr: string): EndedStep[] {
  const ended = new Map<string, EndedStep>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { digest: string; name: string; cached?: boolean; completed?: number; error?: string };
    if (event.completed !== undefined) ended.set(event.digest, { name: event.name, cached: event.cached === true, ...(event.error === undefined ? {} : { error: event.error }) });
  }
  return [...ended.values()];
}

/** The Dockerfile's steps (not a cache's or a push's own lines, not the build context). */
export function dockerfileSteps(steps: EndedStep[]): EndedStep[] {
  return steps.filter((step) => /^\[/.test(step.name) && !step.name.startsWith('[internal]'));
}

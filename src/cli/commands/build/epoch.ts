// SOURCE_DATE_EPOCH from the client's environment becomes the build argument of that name, as
// buildx passes it, unless `--build-arg` set it: the daemon then makes the image reproducible.
const name = 'SOURCE_DATE_EPOCH';

export function withSourceDateEpoch(buildArgs: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const epoch = env[name];
  if (epoch === undefined || epoch === '' || buildArgs[name] !== undefined) return buildArgs;
  return { ...buildArgs, [name]: epoch };
}

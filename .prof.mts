import { parseDockerfile } from './src/dockerfile/parser.ts';
import { generateDockerfile } from './bench/generate-dockerfile.ts';
const big = generateDockerfile(10000);
for (let i = 0; i < 100; i++) parseDockerfile(big);

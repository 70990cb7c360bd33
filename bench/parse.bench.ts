// Parse throughput: one large generated Dockerfile and the typical real-world ones from the
// conformance corpus. Prints median and p95 over repeated runs after a warm-up.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from '../src/dockerfile/index.js';
import { generateDockerfile } from './generate-dockerfile.js';
import { measure, report } from './measure.js';

const corpus = fileURLToPath(new URL('../../shared/conformance/buildkit-parser/testfiles/', import.meta.url));

function typicalDockerfiles(): string[] {
  if (!existsSync(corpus)) return [];
  return readdirSync(corpus)
    .map((name) => join(corpus, name, 'Dockerfile'))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8'));
}

export function benchParse(): void {
  const large = generateDockerfile(10_000);
  const lines = large.split('\n').length;
  report(`parse: generated 10,000 instructions (${lines} lines, ${(large.length / 1024).toFixed(0)} KiB)`,
    measure(() => parseDockerfile(large), { warmup: 10, runs: 50 }));

  const typical = typicalDockerfiles();
  const bytes = typical.reduce((n, t) => n + t.length, 0);
  report(`parse: ${typical.length} typical Dockerfiles (${(bytes / 1024).toFixed(0)} KiB in all)`,
    measure(() => typical.forEach((t) => parseDockerfile(t)), { warmup: 50, runs: 500 }));
}

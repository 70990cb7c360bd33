import { parseDockerfile } from './src/dockerfile/parser.ts';
import { LineReader } from './src/dockerfile/lexer.ts';
import { generateDockerfile } from './bench/generate-dockerfile.ts';
const big = generateDockerfile(10000);
function measure(name: string, fn: () => void) {
  for (let i = 0; i < 20; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < 60; i++) { const t = performance.now(); fn(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  process.stdout.write(`${name}: median ${times[30]!.toFixed(2)} p25 ${times[15]!.toFixed(2)} min ${times[0]!.toFixed(2)}\n`);
}
measure('lex', () => { const r = new LineReader(big, '\\', 'D'); while (r.next()); });
measure('parse', () => { parseDockerfile(big); });

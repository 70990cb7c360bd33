// Timing helpers for benchmarks: warm up, run, and summarise in milliseconds.
import { performance } from 'node:perf_hooks';

export interface Timing {
  median: number;
  p95: number;
  min: number;
  runs: number;
}

export function measure(fn: () => void, opts: { warmup: number; runs: number }): Timing {
  for (let i = 0; i < opts.warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return { median: at(0.5), p95: at(0.95), min: samples[0] ?? NaN, runs: samples.length };
}

export function report(label: string, t: Timing): void {
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  console.log(`${label}\n  median ${ms(t.median)}  p95 ${ms(t.p95)}  min ${ms(t.min)}  (${t.runs} runs)`);
}

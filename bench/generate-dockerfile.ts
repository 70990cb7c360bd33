// A seeded generator of large, realistic Dockerfiles for the parse benchmark: multi-stage,
// with continuations (and comments and blank lines inside them), heredocs, JSON and shell
// forms, flags and variable references. Same seed, same file.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Emit = (rand: () => number, i: number) => string;

const emitters: Emit[] = [
  (r, i) => `RUN apt-get update && \\\n    apt-get install -y pkg${i} \\\n    # pinned for reproducibility\n    && rm -rf /var/lib/apt/lists/*${r() < 0.2 ? ' \\\n\n    && true' : ''}`,
  (_r, i) => `RUN <<EOF\nset -e\necho step ${i}\nmake -j2 target${i}\nEOF`,
  (_r, i) => `COPY --chown=app:app --chmod=0644 src/mod${i}/ /app/mod${i}/`,
  (_r, i) => `COPY <<-"CONF" /etc/app/conf${i}.ini\n\t[section]\n\tkey=${i}\n\tCONF`,
  (_r, i) => `ENV APP_${i}="value ${i}" PATH=/opt/bin${i}:$PATH`,
  (_r, i) => `ARG VERSION_${i}=1.${i}`,
  (_r, i) => `LABEL org.example.step="${i}" org.example.name=mod${i}`,
  (_r, i) => `RUN --mount=type=cache,target=/root/.cache/m${i},sharing=locked --network=none go build ./cmd/m${i}`,
  (_r, i) => `WORKDIR /app/mod${i}`,
  (_r, i) => `CMD ["/app/bin/server", "--port", "${8000 + (i % 1000)}"]`,
  (_r, i) => `EXPOSE ${8000 + (i % 1000)}/tcp`,
  (_r, i) => `HEALTHCHECK --interval=30s --timeout=3s CMD wget -q -O- http://localhost:${8000 + (i % 1000)}/ || exit 1`,
];

/** A Dockerfile with `count` instructions, split into stages of about 50 instructions each. */
export function generateDockerfile(count: number, seed = 42): string {
  const rand = mulberry32(seed);
  const out: string[] = ['# syntax=docker/dockerfile:1', 'ARG BASE=busybox:1.36'];
  let emitted = 1;
  let stage = 0;
  while (emitted < count) {
    out.push('', `FROM \${BASE} AS stage${stage++}`);
    emitted++;
    for (let j = 0; j < 50 && emitted < count; j++, emitted++) {
      const emit = emitters[Math.floor(rand() * emitters.length)] as Emit;
      out.push(emit(rand, emitted));
    }
  }
  return `${out.join('\n')}\n`;
}

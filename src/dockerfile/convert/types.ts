// What the Dockerfile-to-LLB conversion takes and gives: BuildKit's dockerfile2llb result
// (the target's State plus the image config that travels beside it to the exporter).
import type { HistoryEntry, ImageConfig, Platform } from '../../image/index.js';
import type { State } from '../../llb/index.js';

/** A base or `COPY --from` image as the caller found it (local store or registry). */
export interface ResolvedImage {
  /** The normalized reference, preferably pinned by digest (`docker.io/library/busybox:1.36@sha256:...`). */
  ref: string;
  config: ImageConfig;
}

export interface ConvertOptions {
  /** Looks an image up for a platform; called once per distinct reference, in parallel. */
  resolveImage: (ref: string, platform: Platform) => Promise<ResolvedImage>;
  /** The local source COPY/ADD read the build context from; default `context`. */
  contextName?: string;
  /** Marks every vertex ignoreCache (`--no-cache`). */
  noCache?: boolean;
}

export interface Conversion {
  /** The target stage's final filesystem. */
  state: State;
  /**
   * The target's image config: the base image's, with each instruction's change applied and
   * `history` holding the base's entries followed by `history` below (`created` unset: the
   * exporter stamps it). `rootfs` is still the base's; the exporter appends the new layers.
   */
  config: ImageConfig;
  /** The entries this Dockerfile added, one per instruction that BuildKit records. */
  history: HistoryEntry[];
  /** The target stage's root image (through stage bases); undefined when it is scratch. */
  baseImage?: ResolvedImage;
  /** The number of RUN, COPY, ADD and WORKDIR steps (those that make a vertex) across the stages converted. */
  steps: number;
}

/**
 * Preloaded (`node -r`) into `node esbuild.js --production` so the bundle the project's own
 * build script produces, with its own options, is written to BENCH_BUNDLE_OUT instead of
 * dist/extension.js — the benchmark never replaces a dist/ someone else may be testing.
 */
import Module from 'node:module';

const out = process.env.BENCH_BUNDLE_OUT;
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load;
loader._load = function (request: string, parent: unknown, isMain: boolean): unknown {
  const loaded = load.call(this, request, parent, isMain);
  if (request !== 'esbuild' || !out) {
    return loaded;
  }
  const esbuild = loaded as { context(options: Record<string, unknown>): unknown };
  return { ...esbuild, context: (options: Record<string, unknown>) => esbuild.context({ ...options, outfile: out }) };
};

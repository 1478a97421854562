// Builds the extension for production and packages it as .vscode-test/trueconf-share.vsix.
//
//   node scripts/package-vsix.mjs [--out <file.vsix>]      (npm run package:vsix)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, repoRoot } from './lib/proc.mjs';

export const defaultVsixPath = path.join(repoRoot, '.vscode-test', 'trueconf-share.vsix');

/**
 * `vsce package` through its API, without prompts and without node_modules (esbuild bundles
 * the dependencies). vsce first runs the `vscode:prepublish` script, the production build
 * (`node esbuild.js --production`). Returns the .vsix path.
 */
async function createVsix(out) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Written beside the target and renamed over it, so a test run reading `out` meanwhile
  // never finds it missing or half-written.
  const partial = `${out}.${process.pid}.partial`;
  const { createVSIX } = await import('@vscode/vsce');
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const hasLicense = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((name) => fs.existsSync(path.join(repoRoot, name)));
  try {
    await createVSIX({
      cwd: repoRoot,
      packagePath: partial,
      dependencies: false,
      useYarn: false,
      skipLicense: !hasLicense,
      allowMissingRepository: true,
      // Without a `repository` vsce cannot make README's relative links absolute; it would
      // refuse to package. Keep them relative (they work inside VS Code's extension page).
      rewriteRelativeLinks: Boolean(manifest.repository),
    });
    if (!fs.existsSync(partial)) {
      throw new Error(`vsce package finished but ${partial} does not exist`);
    }
    fs.renameSync(partial, out);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return out;
}

/**
 * Builds and packages the extension; returns the .vsix path. With `quiet`, vsce's output is
 * shown only if packaging fails (it runs in a child process to keep it off the console).
 */
export async function packageVsix({ out = defaultVsixPath, quiet = false } = {}) {
  const started = Date.now();
  if (!quiet) {
    await createVsix(out);
  } else {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--out', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) {
      throw new Error(`Packaging the extension failed:\n${output.trim()}`);
    }
  }
  console.log(`Packaged ${path.relative(repoRoot, out)} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return out;
}

if (isMain(import.meta.url)) {
  const outFlag = process.argv.indexOf('--out');
  const out = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : defaultVsixPath;
  createVsix(out).then(
    () => console.log(`Packaged ${path.relative(process.cwd(), out)}`),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

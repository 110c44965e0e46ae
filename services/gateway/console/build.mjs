// Bundles the console into a folder of static files: index.html, console.js
// and console.css. Usage: node build.mjs [--outdir DIR] (default: dist).
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = resolve(at >= 0 && args[at + 1] ? args[at + 1] : join(here, 'dist'));

await mkdir(outdir, { recursive: true });
// Only our own files live there: stale outputs of earlier builds go.
for (const name of await readdir(outdir)) {
  if (/^console\.(js|css)(\.map)?$/.test(name)) await rm(join(outdir, name));
}

await build({
  entryPoints: { console: join(here, 'src', 'main.ts') },
  bundle: true,
  outdir,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Nothing may be fetched from elsewhere: every asset is inlined.
  loader: { '.svg': 'dataurl', '.png': 'dataurl' },
});
await copyFile(join(here, 'src', 'index.html'), join(outdir, 'index.html'));

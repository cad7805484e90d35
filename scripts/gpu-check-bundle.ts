/**
 * npm run gpu-check:bundle -- [--out DIR] [--platform linux-x64|linux-arm64|darwin-universal|win32-x64|win32-arm64]
 * Writes one folder that runs `gpu-check` on a machine with Node and no network or node_modules (a cluster's compute
 * node): the check and the library code it needs in one file, and Dawn's binary for the target platform beside it
 * (win32 also needs its two DLLs). Run it there with `node gpu-check.cjs` (IMRM_WEBGPU_ADAPTER=software on a CPU).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const MAX_BYTES = 40 * 2 ** 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main() {
  const platform = arg('--platform', `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`);
  const out = path.resolve(arg('--out', path.join('dist', `gpu-check-${platform}`)));
  const dawnDir = path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', platform);
  if (!fs.existsSync(path.join(dawnDir, 'dawn.node'))) {
    const known = fs.readdirSync(path.dirname(dawnDir)).join(', ');
    throw new Error(`--platform ${platform}: the webgpu package has no binary for it (it has ${known})`);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(__dirname, 'gpu-check.ts')],
    outfile: path.join(out, 'gpu-check.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
    // Engines the check never starts: their requires fail in the bundle and are reported as skipped.
    external: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm', 'tsx', 'tsx/*'],
  });
  // Dawn and the files it loads beside itself (win32: d3dcompiler_47.dll, dxcompiler.dll and their licences).
  for (const f of fs.readdirSync(dawnDir)) fs.copyFileSync(path.join(dawnDir, f), path.join(out, f));
  const bytes = fs.readdirSync(out).reduce((n, f) => n + fs.statSync(path.join(out, f)).size, 0);
  console.log(`${out}: ${(bytes / 2 ** 20).toFixed(1)} MB (${fs.readdirSync(out).join(', ')}); run: node ${path.join(out, 'gpu-check.cjs')}`);
  if (bytes > MAX_BYTES) throw new Error(`the bundle takes ${(bytes / 2 ** 20).toFixed(1)} MB, over the ${MAX_BYTES / 2 ** 20} MB it must stay under`);
}

main().catch((e) => {
  console.error(`gpu-check:bundle: ${(e as Error).message}`);
  process.exit(1);
});

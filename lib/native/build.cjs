'use strict';
/**
 * npm's postinstall step (package.json): builds the native kernels (lib/native/src, node-gyp, OpenBLAS). Never fails
 * the install: without a compiler, Node's headers or OpenBLAS it prints one line saying why, and the wasm kernels
 * run instead (lib/native/openblas.ts says which path runs, at start). IMRM_NATIVE=0 skips the build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const log = (line) => process.stderr.write(`imrm-native: ${line}\n`);

function why() {
  if (process.env.IMRM_NATIVE === '0') return 'IMRM_NATIVE=0: not built';
  const pkg = spawnSync('pkg-config', ['--exists', 'openblas']);
  if (pkg.error || pkg.status !== 0) return 'OpenBLAS not found by pkg-config (Debian: apt-get install libopenblas-dev pkg-config)';
  return null;
}

function main() {
  const problem = why();
  if (problem) {
    log(`${problem}; the wasm kernels will run`);
    return;
  }
  // Node's own headers, when they sit beside its binary (Debian's /usr, nvm, the official tarballs): node-gyp then
  // needs no download, which matters offline.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const nodedir = fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  // npm puts its bundled node-gyp on PATH for lifecycle scripts; run by hand, the copy inside npm is used.
  const bundled = path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const onPath = spawnSync('node-gyp', ['--version']).status === 0;
  const gyp = onPath || !fs.existsSync(bundled) ? ['node-gyp'] : [process.execPath, bundled];
  const r = spawnSync(gyp[0], [...gyp.slice(1), 'rebuild', ...nodedir, '--loglevel=error'], { cwd: here, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const detail = `${r.error ? r.error.message : ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    log(`build failed (${detail}); the wasm kernels will run`);
    return;
  }
  log(`built ${path.relative(process.cwd(), path.join(here, 'build', 'Release', 'imrm_native.node'))} with OpenBLAS`);
}

main();

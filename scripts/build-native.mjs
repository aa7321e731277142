#!/usr/bin/env node
// Builds the native cpu addon (native/ -> build/native/tessera_native.node) with CMake, or with the C++
// compiler directly when CMake is absent; where nvcc and the CUDA libraries are found it also builds the
// cuda backend (build/native/tessera_cuda.node) with CMake. Run by `npm install`; a failed build never fails the install: it
// writes build/native/status.json with the reason, and Tessera warns once at load time and runs on cpu-js.
//   node scripts/build-native.mjs [--strict]   (--strict: exit 1 when the build fails)
// Environment: TESSERA_SKIP_NATIVE=1 skips the build; TESSERA_SKIP_CUDA=1 skips the cuda part;
// TESSERA_NODE_INCLUDE=<dir with node_api.h>; CXX.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native', 'src');
const outDir = join(root, 'build', 'native');
const addonPath = join(outDir, 'tessera_native.node');
const statusPath = join(outDir, 'status.json');
const strict = process.argv.includes('--strict');
const jobs = String(Math.max(1, cpus().length));

function writeStatus(ok, reason, method) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(statusPath, JSON.stringify({ ok, reason, method, node: process.version, date: new Date().toISOString() }, null, 2) + '\n');
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, missing: r.error?.code === 'ENOENT' };
}

function has(cmd) {
  return run(cmd, ['--version']).ok;
}

/** The first line that looks like the cause in a compiler or CMake log. */
function firstError(log) {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|not found|fatal/i.test(l)) ?? lines.at(-1) ?? 'no output';
}

function nodeIncludeDir() {
  const candidates = [
    process.env.TESSERA_NODE_INCLUDE,
    resolve(process.execPath, '..', '..', 'include', 'node'),
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((d) => d && existsSync(join(d, 'node_api.h')));
}

function buildWithCmake(include) {
  const buildDir = join(root, 'build', 'native-cmake');
  const gen = has('ninja') ? ['-G', 'Ninja'] : [];
  const conf = run('cmake', ['-S', 'native', '-B', buildDir, ...gen, '-DCMAKE_BUILD_TYPE=Release', `-DNODE_INCLUDE_DIR=${include}`]);
  if (!conf.ok) {
    // a cache from another generator or source path makes cmake refuse: start clean once
    rmSync(buildDir, { recursive: true, force: true });
    const again = run('cmake', ['-S', 'native', '-B', buildDir, ...gen, '-DCMAKE_BUILD_TYPE=Release', `-DNODE_INCLUDE_DIR=${include}`]);
    if (!again.ok) return { ok: false, reason: `cmake configure failed: ${firstError(again.out)}` };
  }
  const b = run('cmake', ['--build', buildDir, '--parallel', jobs]);
  return b.ok ? { ok: true } : { ok: false, reason: `compile failed: ${firstError(b.out)}` };
}

/** Same flags as native/CMakeLists.txt, compiler called directly (machines without CMake). */
async function buildWithCompiler(include) {
  const cxx = [process.env.CXX, 'g++', 'c++', 'clang++'].find((c) => c && has(c));
  if (!cxx) return { ok: false, reason: 'no C++ compiler found (install g++ or clang++, or set CXX)' };
  const objDir = join(root, 'build', 'native-obj');
  mkdirSync(objDir, { recursive: true });
  const probe = (flags) => run(cxx, [...flags, '-x', 'c++', '-fsyntax-only', '-']).ok || run(cxx, [...flags, '-E', '-x', 'c++', '/dev/null']).ok;
  const avx512 = ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mfma'];
  const avx2 = ['-mavx2', '-mfma'];
  const haveAvx512 = probe(avx512), haveAvx2 = probe(avx2);
  const defs = ['-DNODE_GYP_MODULE_NAME=tessera_native', ...(haveAvx512 ? ['-DTESSERA_HAVE_AVX512'] : []), ...(haveAvx2 ? ['-DTESSERA_HAVE_AVX2'] : [])];
  const common = ['-std=c++20', '-O3', '-fPIC', '-fno-math-errno', '-fno-trapping-math', '-fvisibility=hidden', `-I${include}`, `-I${srcDir}`, ...defs];
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc'))
    .filter((f) => !(f.endsWith('_avx512.cc') && !haveAvx512) && !(f.endsWith('_avx2.cc') && !haveAvx2));
  const { spawn } = await import('node:child_process');
  const compile = (f) => new Promise((res) => {
    const extra = f.endsWith('_avx512.cc') ? avx512 : f.endsWith('_avx2.cc') ? avx2 : [];
    const p = spawn(cxx, [...common, ...extra, '-c', join(srcDir, f), '-o', join(objDir, `${f}.o`)], { cwd: root });
    let log = '';
    p.stdout.on('data', (d) => (log += d));
    p.stderr.on('data', (d) => (log += d));
    p.on('close', (code) => res({ ok: code === 0, log }));
    p.on('error', (e) => res({ ok: false, log: String(e) }));
  });
  const queue = [...sources];
  const failures = [];
  await Promise.all(Array.from({ length: Number(jobs) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await compile(f);
      if (!r.ok) failures.push(`${f}: ${firstError(r.log)}`);
    }
  }));
  if (failures.length) return { ok: false, reason: `compile failed: ${failures[0]}` };
  mkdirSync(outDir, { recursive: true });
  const link = run(cxx, ['-shared', '-o', addonPath, ...sources.map((f) => join(objDir, `${f}.o`)), '-lpthread',
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [])]);
  return link.ok ? { ok: true } : { ok: false, reason: `link failed: ${firstError(link.out)}` };
}

/** The cuda module, where nvcc is on PATH and CMake finds the CUDA toolkit with cuBLASLt. */
function buildCuda(include) {
  if (process.env.TESSERA_SKIP_CUDA) return { ok: false, skipped: true, reason: 'TESSERA_SKIP_CUDA is set' };
  if (!has('nvcc')) return { ok: false, skipped: true, reason: 'nvcc not found' };
  if (!has('cmake')) return { ok: false, reason: 'the cuda backend needs CMake' };
  const buildDir = join(root, 'build', 'cuda-cmake');
  const gen = has('ninja') ? ['-G', 'Ninja'] : [];
  const conf = run('cmake', ['-S', 'native', '-B', buildDir, ...gen, '-DCMAKE_BUILD_TYPE=Release', '-DTESSERA_CUDA=ON',
    `-DNODE_INCLUDE_DIR=${include}`, `-DTESSERA_OUTPUT_DIR=${outDir}`]);
  if (!conf.ok) {
    // CMake prints the message on the lines after "CMake Error at ...:"
    const lines = conf.out.split('\n').map((l) => l.trim());
    const at = lines.findIndex((l) => l.startsWith('CMake Error'));
    const why = at >= 0 ? lines.slice(at + 1).filter(Boolean).slice(0, 2).join(' ') : firstError(conf.out);
    return { ok: false, reason: `cmake configure failed: ${why}` };
  }
  const b = run('cmake', ['--build', buildDir, '--parallel', jobs, '--target', 'tessera_cuda']);
  return b.ok ? { ok: true } : { ok: false, reason: `compile failed: ${firstError(b.out)}` };
}

async function main() {
  if (process.env.TESSERA_SKIP_NATIVE) {
    writeStatus(false, 'build skipped (TESSERA_SKIP_NATIVE is set)', 'none');
    return 0;
  }
  const include = nodeIncludeDir();
  let result;
  let method;
  if (!include) {
    result = { ok: false, reason: 'Node-API headers (node_api.h) not found; set TESSERA_NODE_INCLUDE to <node>/include/node' };
    method = 'none';
  } else if (has('cmake')) {
    method = 'cmake';
    result = buildWithCmake(include);
  } else {
    method = 'compiler';
    result = await buildWithCompiler(include);
  }
  if (result.ok && !existsSync(addonPath)) result = { ok: false, reason: `the build produced no ${addonPath}` };
  // a stale addon from an earlier build must not be loaded against newer sources
  if (!result.ok) rmSync(addonPath, { force: true });
  writeStatus(result.ok, result.ok ? '' : result.reason, method);
  if (result.ok) {
    console.log(`tessera: native cpu backend built (${method}) -> build/native/tessera_native.node`);
    const cuda = buildCuda(include);
    if (cuda.ok) console.log('tessera: cuda backend built -> build/native/tessera_cuda.node');
    else if (!cuda.skipped) console.warn(`tessera: cuda backend not built: ${cuda.reason}. Tessera will run on the CPU backends.`);
    return 0;
  }
  console.warn(`tessera: native cpu backend not built: ${result.reason}. Tessera will run on cpu-js.`);
  return strict ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  try { writeStatus(false, `build script crashed: ${err?.message ?? err}`, 'none'); } catch { /* nothing more to do */ }
  console.warn(`tessera: native cpu backend not built: ${err?.message ?? err}. Tessera will run on cpu-js.`);
  process.exit(strict ? 1 : 0);
});

// Loading the addon: a missing or failed build makes the 'cpu' factory throw a TesseraError saying why,
// prints exactly one warning, and leaves cpu-js as the default device. Runs in child processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const dist = fileURLToPath(new URL('../../src/', import.meta.url));
const script = `
import '${join(dist, 'backend/cpu-js/index.js')}';
import '${join(dist, 'backend/cpu/index.js')}';
import { getBackend, getDefaultDevice, isDeviceAvailable } from '${join(dist, 'backend/registry.js')}';
const out = { default: getDefaultDevice(), available: isDeviceAvailable('cpu') };
try { getBackend('cpu'); out.error = null; } catch (e) { out.error = e.name + ': ' + e.message; }
console.log(JSON.stringify(out));
`;

function runWith(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TESSERA_DEVICE: '', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { out: JSON.parse(r.stdout) as { default: string; available: boolean; error: string | null }, stderr: r.stderr };
}

describe('native addon loading', () => {
  test('a missing addon: TesseraError with the path, one warning, default device cpu-js', () => {
    const { out, stderr } = runWith({ TESSERA_NATIVE_ADDON: '/nonexistent/tessera_native.node' });
    assert.equal(out.default, 'cpu-js');
    assert.equal(out.available, false);
    assert.match(out.error!, /^TesseraError: device 'cpu' is unavailable: \/nonexistent\/tessera_native\.node is not built/);
    const warnings = stderr.split('\n').filter((l) => l.includes('warning'));
    assert.equal(warnings.length, 1, stderr);
    assert.match(warnings[0]!, /native cpu backend unavailable .*running on cpu-js/);
  });

  test('a failed build: the reason from build/native/status.json is in the error', () => {
    const dir = tempDir('tessera-native-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'status.json'), JSON.stringify({ ok: false, reason: 'compile failed: gemm.cc: error: boom' }));
    const { out } = runWith({ TESSERA_NATIVE_ADDON: join(dir, 'tessera_native.node') });
    assert.match(out.error!, /the native build failed: compile failed: gemm\.cc: error: boom/);
  });

  test('a file that is not an addon fails to load with the loader message', () => {
    const dir = tempDir('tessera-native-');
    const path = join(dir, 'tessera_native.node');
    writeFileSync(path, 'not a shared library');
    const { out } = runWith({ TESSERA_NATIVE_ADDON: path });
    assert.equal(out.default, 'cpu-js');
    assert.match(out.error!, /^TesseraError: device 'cpu' is unavailable: .*(invalid ELF|not a valid|too short)/);
  });
});

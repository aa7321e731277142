// Runs one test body on every device present: cpu-js always, cpu and cuda when their backends load.
import { describe } from 'node:test';
import { getBackend, isDeviceAvailable } from '../../src/index.js';

/** Devices available in this process, in a fixed order. */
export function availableDevices(): string[] {
  const wanted = process.env.TESSERA_TEST_DEVICES?.split(',') ?? ['cpu-js', 'cpu', 'cuda'];
  // the name each backend reports ('cuda' is 'cuda:0'), so tests can compare it with tensor.device
  return wanted.filter((d) => isDeviceAvailable(d)).map((d) => getBackend(d).device);
}

/** describe(`${name} [device]`, ...) once per available device. */
export function forEachDevice(name: string, body: (device: string) => void): void {
  for (const device of availableDevices()) describe(`${name} [${device}]`, () => body(device));
}

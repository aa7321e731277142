// Device strings -> backends. Concrete backends register themselves; native ones load lazily, so a
// machine without the addon still runs on the cpu-js reference backend.
import { TesseraError } from '../errors.js';
import type { Backend } from './backend.js';

/** Makes the backend for one device index (cuda:N), or throws a TesseraError saying why it is unavailable. */
export type BackendFactory = (index: number) => Backend;

const factories = new Map<string, BackendFactory>();
const instances = new Map<string, Backend>();
let defaultDevice: string | null = null;

/** Registers a backend kind ('cpu-js', 'cpu', 'cuda'). */
export function registerBackend(kind: string, factory: BackendFactory): void {
  factories.set(kind, factory);
}

/** Parses 'cuda', 'cuda:1', 'cpu', 'cpu-js' into a kind and an index. */
export function parseDevice(device: string): { kind: string; index: number } {
  const m = /^([a-z][a-z0-9-]*)(?::(\d+))?$/.exec(device);
  if (!m) throw new TesseraError(`malformed device '${device}' (expected e.g. 'cpu', 'cpu-js', 'cuda', 'cuda:1')`);
  return { kind: m[1]!, index: m[2] === undefined ? 0 : Number(m[2]) };
}

/** The backend of a device string; created once and cached. */
export function getBackend(device?: string): Backend {
  const dev = device ?? getDefaultDevice();
  const cached = instances.get(dev);
  if (cached) return cached;
  const { kind, index } = parseDevice(dev);
  const factory = factories.get(kind);
  if (!factory) {
    throw new TesseraError(`unknown device '${dev}' (available: ${[...factories.keys()].join(', ')})`);
  }
  const backend = factory(index);
  instances.set(dev, backend);
  // 'cuda' and 'cuda:0' are one device
  instances.set(backend.device, backend);
  return backend;
}

/** True when the device's backend can be created here. */
export function isDeviceAvailable(device: string): boolean {
  try {
    getBackend(device);
    return true;
  } catch {
    return false;
  }
}

/** Kinds of device registered in this process. */
export function registeredKinds(): string[] {
  return [...factories.keys()];
}

/**
 * The device new tensors go to when none is named: TESSERA_DEVICE if set, else 'cpu' when the native
 * addon loads, else 'cpu-js'.
 */
export function getDefaultDevice(): string {
  if (defaultDevice) return defaultDevice;
  const env = process.env.TESSERA_DEVICE;
  if (env) defaultDevice = env;
  else defaultDevice = factories.has('cpu') && isDeviceAvailable('cpu') ? 'cpu' : 'cpu-js';
  return defaultDevice;
}

export function setDefaultDevice(device: string): void {
  getBackend(device);
  defaultDevice = device;
}

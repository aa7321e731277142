// Options shared by the commands: --device (the best device present by default), --seed, --config FILE.json
// (option values from a file; flags on the command line win), number parsing and file checks, each failing
// with one line that names the option or the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command, Option } from 'commander';
import '../backend/all.js';
import { nativeAvailable } from '../backend/cpu/index.js';
import { isCudaAvailable } from '../backend/cuda/index.js';
import { isDeviceAvailable, registeredKinds } from '../backend/registry.js';
import { FormatError, TesseraError } from '../errors.js';
import { parseJson, type JsonValue } from '../io/json.js';
import { manualSeed } from '../tensor/creation.js';

/** The fastest device present: cuda, else the native cpu backend, else cpu-js. */
export function bestDevice(): string {
  // probe without the warnings a failed load prints
  if (isCudaAvailable() && isDeviceAvailable('cuda')) return 'cuda';
  if (nativeAvailable() && isDeviceAvailable('cpu')) return 'cpu';
  return 'cpu-js';
}

/** The --device value checked (or the best device when none was given). */
export function resolveDevice(device: string | undefined): string {
  if (device === undefined) return bestDevice();
  if (!isDeviceAvailable(device)) {
    const present = registeredKinds().filter((k) => isDeviceAvailable(k));
    throw new TesseraError(`--device: '${device}' is not available on this machine (available: ${present.join(', ')})`);
  }
  return device;
}

/** Adds --device and --seed. */
export function deviceAndSeedOptions(cmd: Command): Command {
  return cmd
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest present)')
    .option('--seed <n>', 'random seed (default 1337)');
}

/** Seeds every device generator from --seed (default 1337) and returns the seed. */
export function applySeed(seed: string | number | undefined): number {
  const s = seed === undefined ? 1337 : parseIntOption(seed, '--seed', { min: 0 });
  manualSeed(s);
  return s;
}

/** An integer option (given as text or, from a config file, as a number). */
export function parseIntOption(value: string | number, flag: string, range: { min?: number; max?: number } = {}): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new TesseraError(`${flag} must be an integer (got '${value}')`);
  if (range.min !== undefined && n < range.min) throw new TesseraError(`${flag} must be at least ${range.min} (got ${n})`);
  if (range.max !== undefined && n > range.max) throw new TesseraError(`${flag} must be at most ${range.max} (got ${n})`);
  return n;
}

/** A number option; `min`/`max` bounds are inclusive unless `above` says exclusive. */
export function parseNumberOption(value: string | number, flag: string, range: { min?: number; max?: number; above?: number } = {}): number {
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) throw new TesseraError(`${flag} must be a number (got '${value}')`);
  if (range.min !== undefined && n < range.min) throw new TesseraError(`${flag} must be at least ${range.min} (got ${n})`);
  if (range.above !== undefined && n <= range.above) throw new TesseraError(`${flag} must be greater than ${range.above} (got ${n})`);
  if (range.max !== undefined && n > range.max) throw new TesseraError(`${flag} must be at most ${range.max} (got ${n})`);
  return n;
}

/** Fails unless `path` is an existing file. */
export function checkFile(path: string | undefined, flag: string): string {
  if (path === undefined || path === '') throw new TesseraError(`${flag} is required`);
  if (!existsSync(path)) throw new TesseraError(`${flag}: file not found: ${path}`);
  if (!statSync(path).isFile()) throw new TesseraError(`${flag}: ${path} is not a file`);
  return path;
}

/** Fails unless `path` is an existing folder. */
export function checkDir(path: string | undefined, flag: string): string {
  if (path === undefined || path === '') throw new TesseraError(`${flag} is required`);
  if (!existsSync(path)) throw new TesseraError(`${flag}: folder not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new TesseraError(`${flag}: ${path} is not a folder`);
  return path;
}

/** Fails naming the flag when a required value is missing (after --config was applied). */
export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new TesseraError(`${flag} is required`);
  return value;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Adds --config FILE.json: a JSON object of option values (keys as the flags, `--max-steps` or `max_steps`
 * or `maxSteps`), applied before the command runs to every option not given on the command line.
 */
export function withConfigFile(cmd: Command): Command {
  cmd.option('--config <file>', 'JSON file of option values (flags on the command line win)');
  cmd.hook('preAction', (_root, action) => applyConfigFile(action));
  return cmd;
}

function applyConfigFile(cmd: Command): void {
  const path = cmd.getOptionValue('config') as string | undefined;
  if (path === undefined) return;
  checkFile(path, '--config');
  let json: JsonValue;
  try {
    json = parseJson(readFileSync(path, 'utf8'), { source: path });
  } catch (err) {
    if (err instanceof FormatError) throw new TesseraError(`--config: ${err.message.split('\n')[0]}`);
    throw err;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TesseraError(`--config: ${path} must hold a JSON object of option values`);
  const options = (cmd.options as readonly Option[]).filter((o) => o.long && o.long !== '--config' && o.long !== '--help');
  const byKey = new Map<string, Option>();
  for (const o of options) byKey.set(o.attributeName(), o);
  for (const [rawKey, value] of Object.entries(json)) {
    const key = camel(rawKey.replace(/^--/, '').replace(/_/g, '-'));
    const opt = byKey.get(key);
    if (!opt) {
      const known = options.map((o) => o.long!.slice(2)).join(', ');
      throw new TesseraError(`--config: ${path}: unknown option '${rawKey}' for '${cmd.name()}' (options: ${known})`);
    }
    const source = cmd.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') continue;
    if (opt.isBoolean() || opt.negate) {
      if (typeof value !== 'boolean') throw new TesseraError(`--config: ${path}: '${rawKey}' must be true or false`);
      cmd.setOptionValueWithSource(key, opt.negate ? value : value, 'config');
    } else {
      if (value === null || typeof value === 'object') throw new TesseraError(`--config: ${path}: '${rawKey}' must be a string or a number`);
      cmd.setOptionValueWithSource(key, String(value), 'config');
    }
  }
}

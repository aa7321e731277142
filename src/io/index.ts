// The io layer: safetensors files as host arrays, config.json, and atomic file replacement.
export {
  openSafetensors, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, safetensorsDType,
  SafetensorsReader, MAX_HEADER_BYTES,
  type HostTensor, type HostTensorInput, type SafetensorsFile, type TensorDict, type TensorInfo,
} from './safetensors.js';
export { readConfig, parseConfig, writeConfig, formatConfig, type ConfigObject, type ConfigFormatOptions } from './config.js';
export { writeFileAtomic, type AtomicContent, type AtomicWriteOptions } from './atomic.js';
export { parseJson, type JsonValue, type JsonObject, type JsonParseOptions } from './json.js';

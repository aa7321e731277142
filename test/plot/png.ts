// A minimal PNG reader for tests: checks the signature, every chunk's CRC, IHDR, and that the inflated image
// data has exactly the bytes its size and colour type call for.
import { crc32, inflateSync } from 'node:zlib';

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decodes the structure of a PNG file; throws on anything malformed. */
export function decodePng(bytes: Uint8Array): PngInfo {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!SIGNATURE.every((b, i) => buf[i] === b)) throw new Error('not a PNG (bad signature)');
  let pos = 8;
  let info: PngInfo | null = null;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    const crc = buf.readUInt32BE(pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== crc) throw new Error(`bad CRC in chunk ${type}`);
    if (type === 'IHDR') info = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8]!, colorType: data[9]! };
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + len;
  }
  if (!info) throw new Error('no IHDR chunk');
  if (!ended) throw new Error('no IEND chunk');
  const raw = inflateSync(Buffer.concat(idat));
  const bytesPerRow = Math.ceil((info.width * CHANNELS[info.colorType]! * info.bitDepth) / 8);
  if (raw.length !== info.height * (1 + bytesPerRow)) throw new Error(`image data is ${raw.length} bytes, expected ${info.height * (1 + bytesPerRow)}`);
  return info;
}

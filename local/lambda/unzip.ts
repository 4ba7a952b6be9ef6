import { crc32, inflateRawSync } from 'node:zlib';

/**
 * The files of a zip archive (stored or deflated entries), read through its central directory
 * as Lambda reads a deployment package. Each entry's CRC-32 is checked.
 */
export function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive: no end of central directory');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50)
      throw new Error(`zip central directory entry ${i} is corrupt`);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressed = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localOffset = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf-8');
    const dataStart =
      localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    const raw = archive.subarray(dataStart, dataStart + compressed);
    const content = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : undefined;
    if (!content)
      throw new Error(`zip entry ${name} uses compression method ${method}, which is not supported`);
    if (crc32(content) !== crc) throw new Error(`zip entry ${name} fails its CRC-32 check`);
    if (!name.endsWith('/')) files.set(name, content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

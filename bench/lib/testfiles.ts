/** Test files written by streaming random-ish 1 MiB chunks (one random block, each copy stamped with its index). */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { MB } from './util';

export async function writeTestFile(path: string, size: number): Promise<void> {
  const block = randomBytes(MB);
  const handle = await open(path, 'w');
  try {
    for (let offset = 0, i = 0; offset < size; offset += MB, i++) {
      block.writeUInt32LE(i, 0);
      block.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, MB / 2);
      const length = Math.min(MB, size - offset);
      let written = 0;
      while (written < length) {
        written += (await handle.write(block, written, length - written)).bytesWritten;
      }
    }
  } finally {
    await handle.close();
  }
}

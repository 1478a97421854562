/** Files on disk for tests: large pseudo-random files written and hashed in chunks, never held in memory. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** Write `size` pseudo-random bytes to `path` chunk by chunk; returns the SHA-256 (hex). */
export async function writeRandomFile(path: string, size: number, chunkSize = 1024 * 1024): Promise<string> {
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let written = 0; written < size; written += chunkSize) {
      const chunk = randomBytes(Math.min(chunkSize, size - written));
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(chunks(), createWriteStream(path));
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Names in `dir` other than `keep`: catches temporary files left behind. */
export async function strayFiles(dir: string, ...keep: string[]): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !keep.includes(name));
}

/**
 * The FileSystem port on node:fs/promises, with real fdatasync/fsync: a write is durable only
 * when the `sync` of its file (and, for a new name, the `syncDir` of its directory) resolved,
 * or, for a file opened `durable` (O_DSYNC), when the append itself resolved.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isParts, type AppendFile, type FileSystem, type OpenAppendOptions, type ReadableFile } from '../ports/file-system.js';

/** O_DSYNC appends: each write returns once its data (and the size it adds) is on the disk. */
const DURABLE_APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

/** Writes per append call at most before giving up on a file that accepts no bytes. */
const WRITE_ATTEMPTS_MAX = 1_000_000;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Writes all of `data` at the file's end (O_APPEND), looping over short writes. */
async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  for (let attempt = 0; offset < data.length; attempt++) {
    if (attempt >= WRITE_ATTEMPTS_MAX) throw new Error('file accepts no more bytes');
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
    offset += bytesWritten;
  }
}

/** Writes `parts` in order at the file's end with writev, going on after a short write. Exported for tests. */
export async function writevAll(handle: Pick<FileHandle, 'writev'>, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((part) => part.length > 0);
  for (let attempt = 0; rest.length > 0; attempt++) {
    if (attempt >= WRITE_ATTEMPTS_MAX) throw new Error('file accepts no more bytes');
    let { bytesWritten } = await handle.writev(rest as Uint8Array[]);
    let whole = 0;
    while (whole < rest.length && bytesWritten >= rest[whole]!.length) bytesWritten -= rest[whole++]!.length;
    rest = rest.slice(whole);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

class NodeAppendFile implements AppendFile {
  constructor(private readonly handle: FileHandle) {}

  append(data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (!isParts(data)) return writeAll(this.handle, data);
    return data.length === 1 ? writeAll(this.handle, data[0]!) : writevAll(this.handle, data);
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** fsync of a directory: makes the creations, renames and removals of entries in it durable. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** node:fs with durable writes. */
export class NodeFileSystem implements FileSystem {
  /** Creates missing directories and syncs each parent that gained one, so they survive a crash. */
  async mkdirp(path: string): Promise<void> {
    const first = await mkdir(path, { recursive: true });
    if (first === undefined) return;
    const created = [first];
    const below = relative(first, path);
    if (below !== '') {
      let current = first;
      for (const part of below.split(sep)) created.push((current = join(current, part)));
    }
    await fsyncDirectory(dirname(first));
    for (const dir of created.slice(0, -1)) await fsyncDirectory(dir);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  // Declared optional as in the port (so any FileSystem still fits where this type is named), always set.
  openRead?: (path: string) => Promise<ReadableFile> = async (path) => {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return {
        size,
        read: async (into, offset, length, position) => (await handle.read(into, offset, length, position)).bytesRead,
        close: () => handle.close(),
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  };

  async openAppend(path: string, options?: OpenAppendOptions): Promise<AppendFile> {
    return new NodeAppendFile(await open(path, options?.durable === true ? DURABLE_APPEND_FLAGS : 'a'));
  }

  /** Temp file, write, fsync, close, rename over `path`, fsync of the directory. */
  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const temp = `${path}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await writeAll(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await fsyncDirectory(dirname(path));
  }

  /** Cuts the file to `length` bytes and fsyncs it. */
  async truncate(path: string, length: number): Promise<void> {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(length);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Removes a file; a missing one is not an error. Durable after `syncDir`. */
  remove(path: string): Promise<void> {
    return rm(path, { force: true });
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  syncDir(dir: string): Promise<void> {
    return fsyncDirectory(dir);
  }
}

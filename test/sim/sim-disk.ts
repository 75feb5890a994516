// A simulated disk behind the FileSystem port, one per server, surviving that server's crashes.
// Appends land in the page cache: they are readable at once but durable only once a sync that
// was called after them resolves. A new file's directory entry is durable only after a sync of
// its directory (or an atomic write). A crash keeps what is durable and, with some probability,
// a random prefix of each file's unsynced tail (the page cache flushed part of it: whole records
// or a torn last one); files whose entry was never synced vanish. Syncs and atomic writes take
// simulated time, so a crash can fall between an append and its sync. Simplifications, on the
// safe side for the code under test: truncate, remove and rename are durable at once.
// An incarnation's pending operations never complete after it crashed, and its open files
// ignore it afterwards, as a killed process's would.
import { isParts, type AppendFile, type FileSystem, type OpenAppendOptions } from '../../src/ports/file-system.js';
import type { SimWorld } from './world.js';

interface SimFile {
  data: Buffer;
  /** Bytes from the start known to be on the platter. */
  durableLength: number;
  /** The directory entry is durable. */
  entryDurable: boolean;
}

/** Sync latency bounds, sim ms. */
const SYNC_DELAY_MS_MIN = 0.5;
const SYNC_DELAY_MS_MAX = 8;

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${path}`), { code: 'ENOENT' });
}

export class SimDisk implements FileSystem {
  private readonly files = new Map<string, SimFile>();
  private readonly dirs = new Set<string>(['/']);
  /** Bumped by each crash: operations of an earlier incarnation never complete. */
  private incarnation = 0;
  /** Torn tails kept by crashes, for the run's statistics. */
  tornTails = 0;
  lostTails = 0;
  /** Called (once) when the next file sync starts: a fault can cut the power mid-fsync. */
  private onNextSync: (() => void) | undefined;

  constructor(private readonly world: SimWorld) {}

  /** The machine lost power: unsynced data is lost or torn; pending operations never complete. */
  crash(): void {
    this.incarnation++;
    const rng = this.world.rng;
    for (const [path, file] of [...this.files]) {
      if (!file.entryDurable) {
        this.files.delete(path);
        continue;
      }
      const unsynced = file.data.length - file.durableLength;
      if (unsynced <= 0) continue;
      const keep = rng.chance(0.4) ? rng.below(unsynced) : 0;
      if (keep > 0) this.tornTails++;
      else this.lostTails++;
      file.data = Buffer.from(file.data.subarray(0, file.durableLength + keep));
      file.durableLength = file.data.length;
    }
  }

  /** Runs `action` as soon as a file sync is in flight (before it completes). */
  whenNextSync(action: () => void): void {
    this.onNextSync = action;
  }

  /** Completes after a simulated delay, unless the disk crashed meanwhile. */
  private later<T>(action: () => T): Promise<T> {
    const incarnation = this.incarnation;
    const rng = this.world.rng;
    const delay = SYNC_DELAY_MS_MIN + (rng.below(1000) / 1000) * (SYNC_DELAY_MS_MAX - SYNC_DELAY_MS_MIN);
    return new Promise((resolve) => {
      this.world.schedule(delay, () => {
        if (this.incarnation === incarnation) resolve(action());
      });
    });
  }

  /** Never completes when called by an incarnation that crashed. */
  private live(incarnation: number): Promise<void> {
    return incarnation === this.incarnation ? Promise.resolve() : new Promise(() => undefined);
  }

  async mkdirp(path: string): Promise<void> {
    for (let p = path; p !== '/' && p !== ''; p = parentOf(p)) this.dirs.add(p);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length)).sort();
  }

  async exists(path: string): Promise<boolean> {
    return this.files.has(path) || this.dirs.has(path);
  }

  async readFile(path: string): Promise<Buffer> {
    const file = this.files.get(path);
    if (file === undefined) throw enoent(path);
    return Buffer.from(file.data);
  }

  async openAppend(path: string, options?: OpenAppendOptions): Promise<AppendFile> {
    if (!this.dirs.has(parentOf(path))) throw enoent(path);
    const incarnation = this.incarnation;
    if (!this.files.has(path)) this.files.set(path, { data: Buffer.alloc(0), durableLength: 0, entryDurable: false });
    const fileNow = (): SimFile | undefined => this.files.get(path);
    const handle: AppendFile = {
      // A durable (O_DSYNC) append is an append then a sync: a crash between them keeps what a
      // crash keeps of unsynced appends (nothing, or a torn prefix).
      append: async (data) => {
        await this.live(incarnation);
        const file = fileNow();
        if (file === undefined) throw enoent(path);
        file.data = Buffer.concat([file.data, ...(isParts(data) ? data : [data])]);
        if (options?.durable === true) await handle.sync();
      },
      sync: async () => {
        await this.live(incarnation);
        const file = fileNow();
        if (file === undefined) throw enoent(path);
        const length = file.data.length;
        const hook = this.onNextSync;
        this.onNextSync = undefined;
        if (hook !== undefined) this.world.schedule(0, hook);
        await this.later(() => {
          const now = fileNow();
          if (now === file) file.durableLength = Math.max(file.durableLength, Math.min(length, file.data.length));
        });
      },
      size: async () => fileNow()?.data.length ?? 0,
      close: async () => this.live(incarnation),
    };
    return handle;
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    if (!this.dirs.has(parentOf(path))) throw enoent(path);
    const copy = Buffer.from(data);
    await this.later(() => {
      this.files.set(path, { data: copy, durableLength: copy.length, entryDurable: true });
    });
  }

  async truncate(path: string, length: number): Promise<void> {
    const file = this.files.get(path);
    if (file === undefined) throw enoent(path);
    file.data = Buffer.from(file.data.subarray(0, length));
    file.durableLength = Math.min(file.durableLength, length);
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async rename(from: string, to: string): Promise<void> {
    const file = this.files.get(from);
    if (file === undefined) throw enoent(from);
    this.files.delete(from);
    this.files.set(to, file);
  }

  async syncDir(dir: string): Promise<void> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const incarnation = this.incarnation;
    await this.later(() => {
      for (const [path, file] of this.files) if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/')) file.entryDurable = true;
    });
    await this.live(incarnation);
  }
}

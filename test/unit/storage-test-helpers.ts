// Shared by the storage-*.test.ts files: temp dirs, an in-memory FileSystem whose syncs a test
// can hold and fail, txn builders, a seeded workload over a reference tree, and a full tree dump.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isParts, type AppendFile, type FileSystem, type OpenAppendOptions } from '../../src/ports/file-system.js';
import type { Acl } from '../../src/proto/data.js';
import { OpCode } from '../../src/proto/op-code.js';
import type { TxnBody, TxnEntry } from '../../src/proto/txn.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { childPath } from '../../src/tree/path.js';
import { seededRandom } from '../support/seeded-random.js';

export const OPEN_ACL: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
export const READ_ACL: Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
export const DIGEST_ACL: Acl[] = [
  { perms: 31, id: { scheme: 'digest', id: 'user:h1Ov1LZKsX7kXdvUqlU9lVz4WS8=' } },
  { perms: 1, id: { scheme: 'ip', id: '10.0.0.0/8' } },
];

/** A fresh temp directory, removed by `cleanup`. */
export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tszk-storage-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A txn with a header derived from its body. */
export function txn(zxid: bigint, body: TxnBody, clientId = 0x1234n, time = 1_700_000_000_000n + zxid): TxnEntry {
  return { header: { clientId, cxid: Number(zxid & 0xffffn), zxid, time, type: body.type }, body };
}

export function createTxn(path: string, data: string, acl: Acl[] = OPEN_ACL, parentCVersion = -1, ephemeral = false): TxnBody {
  return { type: OpCode.create, path, data: Buffer.from(data), acl, ephemeral, parentCVersion };
}

/** A seeded PRNG (mulberry32), so a failing workload replays exactly. */
export const prng = seededRandom;

/**
 * Generates `count` txns against `tree`, APPLYING each to it, starting at `firstZxid`. Every
 * txn applies cleanly (no create of an existing node), so replays need no fuzzy fix-ups.
 */
export function workload(tree: DataTree, seed: number, firstZxid: bigint, count: number, sessionTimeoutMs = 4000): TxnEntry[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sessions: bigint[] = [];
  const entries: TxnEntry[] = [];
  for (let i = 0; i < count; i++) {
    const zxid = firstZxid + BigInt(i);
    const paths = allPaths(tree).filter((p) => !p.startsWith('/zookeeper'));
    const roll = random();
    let entry: TxnEntry;
    if (roll < 0.08 || sessions.length === 0) {
      const id = 0x100n + zxid;
      sessions.push(id);
      entry = txn(zxid, { type: OpCode.createSession, timeOut: sessionTimeoutMs + i }, id);
    } else if (roll < 0.12 && sessions.length > 1) {
      const id = sessions.splice(Math.floor(random() * sessions.length), 1)[0]!;
      entry = txn(zxid, { type: OpCode.closeSession, paths2Delete: [...tree.ephemeralsOf(id)] }, id);
    } else if (roll < 0.5) {
      const parent = pick(paths.filter((p) => tree.getNode(p)!.ephemeralOwner === 0n));
      const path = childPath(parent, `n${zxid}`);
      const ephemeral = random() < 0.2;
      const owner = ephemeral ? pick(sessions) : 0x1234n;
      entry = txn(zxid, createTxn(path, `d${i}`.repeat(1 + (i % 5)), pick([OPEN_ACL, READ_ACL, DIGEST_ACL]), tree.getNode(parent)!.cversion + 1, ephemeral), owner);
    } else if (roll < 0.65) {
      const path = pick(paths);
      entry = txn(zxid, { type: OpCode.setData, path, data: Buffer.from(`v${i}`), version: tree.getNode(path)!.version + 1 });
    } else if (roll < 0.72) {
      const path = pick(paths);
      entry = txn(zxid, { type: OpCode.setACL, path, acl: pick([OPEN_ACL, DIGEST_ACL]), version: tree.getNode(path)!.aversion + 1 });
    } else if (roll < 0.85) {
      const leaves = paths.filter((p) => p !== '/' && tree.getNode(p)!.numChildren === 0);
      entry = leaves.length === 0
        ? txn(zxid, { type: OpCode.error, err: -101 })
        : txn(zxid, { type: OpCode.delete, path: pick(leaves) });
    } else if (roll < 0.95) {
      const parent = pick(paths.filter((p) => tree.getNode(p)!.ephemeralOwner === 0n));
      const a = childPath(parent, `m${zxid}`);
      entry = txn(zxid, {
        type: OpCode.multi,
        txns: [
          { type: OpCode.create, path: a, data: Buffer.from('multi'), acl: OPEN_ACL, ephemeral: false, parentCVersion: tree.getNode(parent)!.cversion + 1 },
          { type: OpCode.setData, path: a, data: Buffer.from('multi2'), version: 1 },
          { type: OpCode.check, path: a, version: 1 },
        ],
      });
    } else {
      entry = txn(zxid, { type: OpCode.error, err: -110 });
    }
    tree.apply(entry.header, entry.body);
    entries.push(entry);
  }
  return entries;
}

/** Every path of the tree, parents first. */
export function allPaths(tree: DataTree): string[] {
  const out: string[] = [];
  const stack = ['/'];
  for (let guard = 0; stack.length > 0 && guard < 10_000_000; guard++) {
    const path = stack.pop()!;
    const node = tree.getNode(path);
    if (node === undefined) continue;
    out.push(path);
    for (const child of [...node.childPaths()].sort().reverse()) stack.push(child);
  }
  return out;
}

/** Every node with its data, all eleven Stat fields and its ACL, as comparable plain values. */
export function dumpTree(tree: DataTree): Array<Record<string, unknown>> {
  return allPaths(tree).map((path) => {
    const node = tree.getNode(path)!;
    const stat = node.stat();
    return {
      path,
      data: node.data === null ? null : node.data.toString('base64'),
      stat: Object.fromEntries(Object.entries(stat).map(([k, v]) => [k, String(v)])),
      acl: node.acl.acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`),
    };
  });
}

/** Holds a promise open until the test releases it. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
  fail(error: Error): void;
}

export function gate(): Gate {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/**
 * An in-memory FileSystem that counts calls and lets a test hold or fail each sync. Unsynced
 * appends are kept (this is not the crash simulator; it controls timing only).
 */
export class MemoryFileSystem implements FileSystem {
  readonly files = new Map<string, Buffer>();
  readonly dirs = new Set<string>();
  readonly calls: string[] = [];
  /** How many parts each append was given (1 for a single buffer), in call order. */
  readonly appendParts: number[] = [];
  /** When set, each sync waits for the gate this returns. */
  syncHook: (() => Promise<void>) | undefined;
  appendHook: (() => Promise<void>) | undefined;

  async mkdirp(path: string): Promise<void> {
    this.calls.push(`mkdirp ${path}`);
    this.dirs.add(path);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith('/') ? dir : dir + '/';
    return [...this.files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
  }

  async exists(path: string): Promise<boolean> {
    return this.files.has(path) || this.dirs.has(path);
  }

  async readFile(path: string): Promise<Buffer> {
    const bytes = this.files.get(path);
    if (bytes === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    return Buffer.from(bytes);
  }

  async openAppend(path: string, options?: OpenAppendOptions): Promise<AppendFile> {
    this.calls.push(`open ${path}`);
    if (!this.files.has(path)) this.files.set(path, Buffer.alloc(0));
    const handle: AppendFile = {
      // A durable append is recorded as the append and the sync it includes.
      append: async (data) => {
        const bytes = Buffer.concat(isParts(data) ? data : [data]);
        this.appendParts.push(isParts(data) ? data.length : 1);
        this.calls.push(`append ${path} ${bytes.length}`);
        await this.appendHook?.();
        this.files.set(path, Buffer.concat([this.files.get(path)!, bytes]));
        if (options?.durable === true) await handle.sync();
      },
      sync: async () => {
        this.calls.push(`sync ${path}`);
        await this.syncHook?.();
      },
      size: async () => this.files.get(path)!.length,
      close: async () => {
        this.calls.push(`close ${path}`);
      },
    };
    return handle;
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, Buffer.from(data));
  }

  async truncate(path: string, length: number): Promise<void> {
    this.calls.push(`truncate ${path} ${length}`);
    this.files.set(path, this.files.get(path)!.subarray(0, length));
  }

  async remove(path: string): Promise<void> {
    this.calls.push(`remove ${path}`);
    this.files.delete(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.calls.push(`rename ${from} ${to}`);
    this.files.set(to, this.files.get(from)!);
    this.files.delete(from);
  }

  async syncDir(dir: string): Promise<void> {
    this.calls.push(`syncDir ${dir}`);
  }
}

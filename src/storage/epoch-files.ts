/**
 * ZAB's two durable epochs, in ZooKeeper's files `<dataDir>/version-2/acceptedEpoch` and
 * `currentEpoch` (the number in decimal text). A missing file reads as undefined; ZooKeeper then
 * takes the epoch of the last logged zxid.
 */
import type { FileSystem } from '../ports/file-system.js';
import { joinPath, versionDir } from './file-names.js';

export type EpochName = 'acceptedEpoch' | 'currentEpoch';

export async function readEpoch(fs: FileSystem, dataDir: string, name: EpochName): Promise<bigint | undefined> {
  const path = joinPath(versionDir(dataDir), name);
  if (!(await fs.exists(path))) return undefined;
  const text = (await fs.readFile(path)).toString('utf8').trim();
  if (!/^\d+$/.test(text)) throw new Error(`${path} holds "${text.slice(0, 40)}", not an epoch number`);
  return BigInt(text);
}

/** Durable (written to a temp file, synced, renamed) before it resolves. */
export async function writeEpoch(fs: FileSystem, dataDir: string, name: EpochName, epoch: bigint): Promise<void> {
  await fs.writeFileAtomic(joinPath(versionDir(dataDir), name), Buffer.from(`${epoch}\n`, 'utf8'));
}

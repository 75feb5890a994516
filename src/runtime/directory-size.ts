/** Bytes in the files of one directory (not recursive), for `dirs` and `conf`. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function directorySize(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const stat = statSync(join(dir, name));
        if (stat.isFile()) total += stat.size;
      } catch {
        // A file removed while we looked (a purge) counts as gone.
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/**
 * Where the server command lives in dist/: the single-file bundle (scripts/bundle.mjs) when it
 * is at least as new as the compiled modules, else the modules themselves.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The script to run with node for `zk-server`, given the project's dist/ directory. */
export function serverEntry(distDir: string): string {
  const bundle = join(distDir, 'zk-server.mjs');
  const modules = join(distDir, 'src', 'cli', 'zk-server.js');
  if (existsSync(bundle) && existsSync(modules) && statSync(bundle).mtimeMs >= statSync(modules).mtimeMs) return bundle;
  return modules;
}

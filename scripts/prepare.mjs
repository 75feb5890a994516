// Makes a fresh clone runnable: installs the locked dev dependencies when they are missing,
// then compiles TypeScript to dist/ and bundles the server command (scripts/bundle.mjs).
// Called before `npm start` and `npm test`.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command) => execSync(command, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules', '.bin', 'tsc')) || !existsSync(join(root, 'node_modules', 'esbuild'))) {
  console.error('[prepare] installing dependencies (npm ci)');
  run('npm ci --no-audit --no-fund');
}
run('npx tsc -p tsconfig.json');
run('node scripts/bundle.mjs');

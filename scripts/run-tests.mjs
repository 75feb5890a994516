// Runs the compiled tests of the given kinds (unit, codec, scenario, integration, compat) with
// node's test runner, which prints the standard summary. `--only name` filters by file name.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args.splice(onlyIndex, 2)[1] : undefined;
const kinds = args.length > 0 ? args : ['unit', 'codec', 'scenario', 'sim', 'integration'];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.js') ? [path] : [];
  });
}

const files = kinds.flatMap((kind) => walk(join(root, 'dist', 'test', kind))).filter((f) => !only || f.includes(only));
if (files.length === 0) {
  console.error(`no test files for ${kinds.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

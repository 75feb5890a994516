/**
 * Reads what the configuration is made of - zoo.cfg, its dynamic file, dataDir/myid - and
 * probes the data directories, then hands the texts to the pure parser (config/) and mode
 * decision (config/mode.ts).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, parseServerConfig, peekPaths, type ConfigSource, type ServerConfig } from '../config/server-config.js';
import { decideMode, type ModeDecision } from '../config/mode.js';

export interface LoadedConfig {
  readonly config: ServerConfig;
  readonly decision: ModeDecision;
}

/** A file's text, or a ConfigError saying which file could not be read and why. */
export function readConfigText(file: string, what: string): ConfigSource {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError(undefined, `cannot read ${what} ${file}: ${why}`);
  }
}

/**
 * Why `dir` cannot hold the server's files, or undefined when it can (it exists and is a
 * writable directory, or it can be created because its nearest existing parent is one).
 */
export function directoryProblem(dir: string): string | undefined {
  let path = resolve(dir);
  let missing = false;
  for (;;) {
    if (existsSync(path)) break;
    missing = true;
    const parent = dirname(path);
    if (parent === path) return 'no part of the path exists';
    path = parent;
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    return `cannot inspect ${path}: ${(e as Error).message}`;
  }
  if (!isDirectory) return missing ? `cannot be created: ${path} is a file, not a directory` : 'is a file, not a directory';
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch {
    return missing ? `does not exist and cannot be created: ${path} is not writable by this user` : 'is not writable by this user';
  }
  return undefined;
}

/**
 * Loads zoo.cfg (or the quick-start defaults when `file` is undefined) with its dynamic file and
 * myid, and decides the mode. Throws ConfigError for anything malformed.
 */
export function loadServerConfig(
  file: string | undefined,
  quickStart: Record<string, string>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedConfig {
  const source = file === undefined ? undefined : readConfigText(file, 'the config file');
  const overrides = source === undefined ? quickStart : {};
  const paths = peekPaths(source, overrides);
  const dynamic = paths.dynamicConfigFile === undefined ? undefined : readConfigText(paths.dynamicConfigFile, 'the dynamic config file (dynamicConfigFile)');
  const myidPath = paths.dataDir === undefined || paths.dataDir === '' ? undefined : `${paths.dataDir}/myid`;
  const myid = myidPath !== undefined && existsSync(myidPath) ? readConfigText(myidPath, 'the myid file') : undefined;
  const config = parseServerConfig(source, overrides, { ...(dynamic && { dynamic }), ...(myid && { myid }), env });
  const decision = decideMode(config, {
    dataDirProblem: directoryProblem(config.dataDir),
    dataLogDirProblem: config.dataLogDir === config.dataDir ? undefined : directoryProblem(config.dataLogDir),
  });
  return { config, decision };
}

/**
 * `zk-server`: runs a standalone server. `start-foreground [zoo.cfg]` runs in this process;
 * without a config file it serves 127.0.0.1:2181 with data under ./data (the quick start).
 */
import { readFileSync } from 'node:fs';
import { parseServerConfig, ConfigError, type ServerConfig } from '../config/server-config.js';
import { FULL_VERSION } from '../admin/four-letter.js';
import { startServer } from '../main/server.js';

const USAGE = 'Usage: zk-server {start-foreground|version} [zoo.cfg]';

/** The quick-start defaults: loopback, a local data folder, ZooKeeper's sample tickTime. */
function defaultConfig(): ServerConfig {
  return parseServerConfig(undefined, {
    tickTime: '2000',
    dataDir: process.env.TSZK_DATA_DIR ?? 'data',
    clientPort: process.env.TSZK_PORT ?? '2181',
    clientPortAddress: '127.0.0.1',
  });
}

function loadConfig(file: string | undefined): ServerConfig {
  if (file === undefined) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseServerConfig({ file, text });
}

async function main(argv: string[]): Promise<number> {
  const [command, file] = argv;
  switch (command) {
    case 'version':
      console.log(`Apache ZooKeeper, version ${FULL_VERSION}`);
      return 0;
    case 'start-foreground': {
      const config = loadConfig(file);
      const running = await startServer(config);
      const stop = (signal: string): void => {
        console.log(`${signal}: shutting down`);
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      return -1;
    }
    default:
      console.error(USAGE);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(e instanceof ConfigError ? `Invalid config, exiting abnormally: ${e.message}` : e);
    process.exit(e instanceof ConfigError ? 2 : 1);
  },
);

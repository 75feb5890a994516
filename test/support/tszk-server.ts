/**
 * Starts tszk itself as a separate process (bin/zk-server start-foreground) on a free loopback
 * port with a fresh data dir, the way compat and integration tests need it. Bounded waits; the
 * process is always stopped, also when the test process exits early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const serverScript = join(root, 'dist', 'src', 'cli', 'zk-server.js');
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** super:test, as kazoo's suite expects. */
export const SUPER_DIGEST_TEST = 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=';

export interface TszkOptions {
  /** Extra zoo.cfg lines (key -> value). */
  readonly config?: Record<string, string>;
  /** Reuse this data dir (for restart tests); it is then not removed on stop. */
  readonly dataDir?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
}

export interface TszkServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startTszk(options: TszkOptions = {}): Promise<TszkServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tszk-test-')));
  const config: Record<string, string> = {
    tickTime: '2000',
    dataDir,
    clientPort: String(options.port ?? 0),
    clientPortAddress: '127.0.0.1',
    maxClientCnxns: '0',
    '4lw.commands.whitelist': '*',
    'DigestAuthenticationProvider.superDigest': SUPER_DIGEST_TEST,
    // Tests listen on loopback only, and many servers run at once: no fixed admin port.
    'admin.enableServer': 'false',
    ...options.config,
  };
  // SASL DIGEST-MD5 with the users kazoo's own harness configures (JAAS Server section).
  const jaasFile = join(dataDir, 'jaas.conf');
  await writeFile(jaasFile, 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_super="super_secret"\n  user_jaasuser="jaas_password";\n};\n');
  config['authProvider.1'] ??= 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
  config.jaasLoginConfig ??= jaasFile;
  const cfgFile = join(dataDir, 'zoo.cfg');
  await writeFile(cfgFile, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const child = spawn(process.execPath, [serverScript, 'start-foreground', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tszk did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 64 * 1024) output = output.slice(-32 * 1024);
      const match = /serving standalone on [^ ]+:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tszk exited with ${code} before serving:\n${output}`));
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL');
    await waitExit(child, STOP_TIMEOUT_MS);
    running.delete(child);
    throw e;
  });
  const finish = async (signal: NodeJS.Signals): Promise<void> => {
    child.kill(signal);
    await waitExit(child, STOP_TIMEOUT_MS);
    running.delete(child);
    if (ownDir && signal === 'SIGTERM') await rm(dataDir, { recursive: true, force: true });
  };
  return {
    host: '127.0.0.1',
    port,
    dataDir,
    process: child,
    output: () => output,
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
  };
}

/** The tszk to compare against: the server on TSZK_TEST_PORT when that is set, else a fresh one. */
export async function tszkForComparison(): Promise<{ host: string; port: number; stop(): Promise<void> }> {
  const fixedPort = process.env.TSZK_TEST_PORT;
  if (fixedPort !== undefined && fixedPort !== '') return { host: '127.0.0.1', port: Number(fixedPort), stop: async () => {} };
  return startTszk();
}

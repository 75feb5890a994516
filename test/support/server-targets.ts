/**
 * The servers the client and recipe tests run against, tszk and real ZooKeeper 3.8 alike: how
 * to start either one on loopback with the same settings, and a `describe` per server that
 * starts it before its tests and stops it after them.
 */
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTszk } from './tszk-server.js';
import { referenceZooKeeperAvailable, startReferenceZooKeeper } from './zk-reference.js';

/** tickTime of both servers: sessions may be as short as 1 s. */
export const TICK_MS = 500;

/** Which server a test runs against. */
export type TargetName = 'tszk' | 'zookeeper';

/** A running server under test. */
export interface Target {
  readonly name: TargetName;
  readonly port: number;
  stop(): Promise<void>;
}

/** Settings beyond tickTime that a test file needs on both servers alike. */
export interface TargetOptions {
  /** TTL nodes (extendedTypesEnabled). Default false. */
  extendedTypes?: boolean;
  /** tszk's container sweep interval, so emptied containers go within the test's waits. */
  containerCheckIntervalMs?: number;
}

/** Why a target cannot run here, or false. */
function skipReason(name: TargetName): string | false {
  if (name === 'tszk' || referenceZooKeeperAvailable()) return false;
  return 'reference ZooKeeper 3.8 jars not installed (scripts/install-compat-deps.sh)';
}

/** What a describe title calls a target. */
export function targetLabel(name: TargetName): string {
  return name === 'tszk' ? 'tszk' : 'real ZooKeeper 3.8';
}

/** Starts a fresh server of the given kind on loopback with tickTime TICK_MS. */
export async function startTarget(name: TargetName, options: TargetOptions = {}): Promise<Target> {
  if (name === 'zookeeper') {
    const zk = await startReferenceZooKeeper({ tickTime: TICK_MS, extendedTypes: options.extendedTypes === true });
    return { name, port: zk.port, stop: () => zk.stop() };
  }
  const config: Record<string, string> = { tickTime: String(TICK_MS) };
  if (options.extendedTypes === true) config.extendedTypesEnabled = 'true';
  if (options.containerCheckIntervalMs !== undefined) config['znode.container.checkIntervalMs'] = String(options.containerCheckIntervalMs);
  const server = await startTszk({ config });
  return { name, port: server.port, stop: () => server.stop() };
}

/** Options of `describeOnTargets`. */
export interface DescribeOnTargetsOptions extends TargetOptions {
  /** The targets to run on. Default both. */
  names?: readonly TargetName[];
  /** Timeout of each describe. */
  timeoutMs?: number;
}

/**
 * Declares `suite` once per target, as `<title> against <target>` (skipped where the target is
 * not installed). The server starts before the suite's tests and stops after the suite's own
 * `after` hooks, so those may still close clients. `target.port` is valid from the suite's
 * `before` hooks on.
 */
export function describeOnTargets(title: string, suite: (target: Target) => void, options: DescribeOnTargetsOptions = {}): void {
  for (const name of options.names ?? (['tszk', 'zookeeper'] as const)) {
    describe(`${title} against ${targetLabel(name)}`, { skip: skipReason(name), timeout: options.timeoutMs }, () => {
      let started: Target | undefined;
      const target: Target = {
        name,
        get port() {
          assert.ok(started !== undefined, 'the target server is started in before()');
          return started.port;
        },
        stop: async () => started?.stop(),
      };
      before(async () => {
        started = await startTarget(name, options);
      });
      suite(target);
      after(async () => {
        await started?.stop();
      });
    });
  }
}

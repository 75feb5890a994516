/**
 * Leader election with failover timings. Each candidate creates an ephemeral sequential node
 * under /election; the lowest is the leader, and every other candidate watches only the node
 * just before its own (no herd effect). When the leader dies without closing its session
 * (kill -9), the server expires the session after the session timeout, deletes the node, and
 * the next candidate takes over.
 *
 *   node dist/examples/leader-election.js candidate --id c1 [--connect host:port]   (or $ZK)
 *   node dist/examples/leader-election.js demo [--candidates 5] [--rounds 2] [--session-ms 4000]
 *
 * The demo starts the candidates as processes in a fresh chroot, kills the leader with SIGKILL
 * `rounds` times, prints how long each handover took, and exits 0 only if every handover came
 * within the negotiated session timeout plus `--slack-ms` (default: 2000, covering the server's
 * tick-granular expiry and the event's delivery).
 */
import { fileURLToPath } from 'node:url';
import type { ZooKeeperClient } from '../src/main/client.js';
import { ErrorCode } from '../src/proto/error-code.js';
import {
  Child,
  connect,
  connectStringOf,
  ensureNode,
  intFlag,
  isKeeperError,
  parseRoleCommandLine,
  runMain,
  say,
  waitUntil,
  withDemoChroot,
  type CommandLine,
} from './example-support.js';

const ELECTION_PATH = '/election';

/** The sequence number of an election node name (`n_0000000012` -> 12). */
function sequenceOf(name: string): number {
  return Number(name.slice(name.lastIndexOf('_') + 1));
}

async function runCandidate(connectString: string, sessionTimeoutMs: number, id: string): Promise<void> {
  const zk = await connect(connectString, sessionTimeoutMs, id);
  process.once('SIGTERM', () => {
    void zk.close().finally(() => process.exit(0));
  });
  await ensureNode(zk, ELECTION_PATH);
  const path = await zk.create(`${ELECTION_PATH}/n_`, id, { mode: 'EPHEMERAL_SEQUENTIAL' });
  const me = path.slice(ELECTION_PATH.length + 1);
  say(id, `CANDIDATE ${me} ${zk.sessionTimeoutMs}`);
  await followUntilLeader(zk, id, me);
  say(id, 'LEADER');
}

/** Resolves once `me` is the lowest node; until then watches the node just before it. */
async function followUntilLeader(zk: ZooKeeperClient, id: string, me: string): Promise<void> {
  let watching = '';
  for (;;) {
    let children: string[];
    try {
      children = (await zk.getChildren(ELECTION_PATH)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    } catch (err) {
      if (isKeeperError(err, ErrorCode.CONNECTIONLOSS)) continue;
      throw err;
    }
    const index = children.indexOf(me);
    if (index < 0) throw new Error(`our node ${me} is gone`);
    if (index === 0) return;
    const predecessor = children[index - 1]!;
    const gone = new Promise<void>((resolve) => {
      zk.exists(`${ELECTION_PATH}/${predecessor}`, () => resolve()).then(
        (stat) => {
          if (stat === null) resolve();
        },
        () => resolve(),
      );
    });
    if (predecessor !== watching) say(id, `FOLLOWING ${predecessor}`);
    watching = predecessor;
    await gone;
  }
}

/** One handover the demo measured. */
export interface Handover {
  readonly round: number;
  readonly killed: string;
  readonly next: string;
  readonly ms: number;
  readonly boundMs: number;
}

async function runDemo(line: CommandLine, connectString: string, sessionTimeoutMs: number): Promise<boolean> {
  const candidates = intFlag(line, 'candidates', 5);
  const rounds = Math.min(intFlag(line, 'rounds', 2), candidates - 1);
  const slackMs = intFlag(line, 'slack-ms', 2_000);
  const echo = line.flags.get('quiet') === undefined;
  const script = fileURLToPath(import.meta.url);
  const handovers: Handover[] = [];
  return withDemoChroot(connectString, 'leader-election', async ({ connectString: chrootConnect, children }) => {
    for (let i = 1; i <= candidates; i++) {
      const args = ['candidate', '--id', `c${i}`, '--connect', chrootConnect, '--session-ms', String(sessionTimeoutMs)];
      children.push(new Child(`c${i}`, script, args, echo));
    }
    const leaderLines = () =>
      children.flatMap((c) => c.lines.filter((l) => l.word === 'LEADER').map((l) => ({ child: c, atMs: l.atMs }))).sort((a, b) => a.atMs - b.atMs);
    const started = await waitUntil(children, () => children.every((c) => c.lines.some((l) => l.word === 'CANDIDATE')) && leaderLines().length === 1, 30_000);
    if (!started) throw new Error('the candidates did not start and elect a leader');
    const negotiatedMs = Math.max(...children.map((c) => Number(c.lines.find((l) => l.word === 'CANDIDATE')!.rest[1])));
    const boundMs = negotiatedMs + slackMs;
    say('demo', `LEADER ${leaderLines()[0]!.child.name}; session timeout ${negotiatedMs} ms; bound ${boundMs} ms`);
    for (let round = 1; round <= rounds; round++) {
      const leader = leaderLines().filter((l) => !l.child.exited).at(-1)!.child;
      const killedAt = Date.now();
      leader.kill9();
      say('demo', `KILLED ${leader.name} (leader) with SIGKILL`);
      const next = () => leaderLines().find((l) => l.atMs >= killedAt && l.child !== leader);
      await waitUntil(children, () => next() !== undefined, boundMs * 3);
      const found = next();
      if (found === undefined) {
        say('demo', `HANDOVER ${round} none within ${boundMs * 3} ms`);
        handovers.push({ round, killed: leader.name, next: 'none', ms: Infinity, boundMs });
        break;
      }
      const ms = found.atMs - killedAt;
      handovers.push({ round, killed: leader.name, next: found.child.name, ms, boundMs });
      say('demo', `HANDOVER ${round} ${leader.name} -> ${found.child.name} in ${ms} ms (bound ${boundMs} ms)`);
    }
    const singleLeader = children.filter((c) => !c.exited && c.lines.some((l) => l.word === 'LEADER')).length === 1;
    const ok = handovers.length === rounds && handovers.every((h) => h.ms <= h.boundMs) && singleLeader;
    say('demo', `RESULT ${ok ? 'ok' : 'FAILED'} rounds=${handovers.length} maxHandoverMs=${Math.max(...handovers.map((h) => h.ms))} boundMs=${boundMs} singleLiveLeader=${singleLeader}`);
    return ok;
  });
}

async function main(): Promise<void> {
  const line = parseRoleCommandLine(process.argv.slice(2));
  const role = line.role;
  const connectString = connectStringOf(line);
  const sessionTimeoutMs = intFlag(line, 'session-ms', 4_000);
  switch (role) {
    case 'candidate':
      return runCandidate(connectString, sessionTimeoutMs, line.flags.get('id') ?? `c-${process.pid}`);
    case 'demo':
      process.exit((await runDemo(line, connectString, sessionTimeoutMs)) ? 0 : 1);
      break;
    default:
      process.stderr.write('usage: leader-election.js candidate|demo [connectString] [--id ID] [--candidates N] [--rounds N] [--session-ms MS] [--slack-ms MS]\n');
      process.exit(2);
  }
}

runMain('leader-election', main);

// Proves the client's cancellation, timeout, watch-stream and retry features against a real
// server, tszk and real ZooKeeper 3.8 alike: an aborted request rejects at once while the
// connection stays in step (and a sent create is still applied, as documented); a stalled reply
// times out with REQUESTTIMEOUT and is dropped when it comes; watch streams see a subtree's
// events and leaving the loop removes the server's watch; nextEvent waits for one event; retry
// carries an operation through a cut connection; and session expiry reaches pending calls,
// streams, state iterators and retries as SESSIONEXPIRED.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, type FaultProxy } from '../support/fault-proxy.js';
import { describeOnTargets } from '../support/server-targets.js';
import type { ZooKeeperClient } from '../../src/client/zookeeper-client.js';
import { createClient, isAbortError, retry } from '../../src/main/client.js';
import type { ClientOptions, WatchedEvent } from '../../src/client/types.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';
import { EventType, KeeperState, WatcherType } from '../../src/proto/defs.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';

const WAIT_MS_MAX = 15_000;

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isCode = (code: number) => (err: unknown) => err instanceof KeeperError && err.code === code;

/** The server's own answer to "does this session watch `path`?", bypassing the client's tables. */
async function serverHasWatch(client: ZooKeeperClient, path: string): Promise<boolean> {
  const reply = await client.request(OpCode.checkWatches, (w) => R.CheckWatchesRequest.write(w, { path, type: WatcherType.Any }));
  assert.ok(reply.header.err === 0 || reply.header.err === ErrorCode.NOWATCHER, `checkWatches err ${reply.header.err}`);
  return reply.header.err === 0;
}

describeOnTargets('client streams, abort and retry', (target) => {
  const clients: ZooKeeperClient[] = [];
  const proxies: FaultProxy[] = [];

  async function open(options: ClientOptions = {}, port?: number): Promise<ZooKeeperClient> {
    const client = createClient(`127.0.0.1:${port ?? target.port}`, { sessionTimeoutMs: 10_000, keepHostOrder: true, ...options });
    clients.push(client);
    await client.connect();
    return client;
  }

  async function proxy(): Promise<FaultProxy> {
    const started = await startProxy(target.port);
    proxies.push(started);
    return started;
  }

  after(async () => {
    for (const client of clients) await client.close().catch(() => {});
    for (const p of proxies) await p.close();
  });

  test('an aborted request rejects at once; the late reply is dropped and the connection stays in step', async () => {
    const client = await open();
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    const controller = new AbortController();
    const created = client.create('/abort-create', 'x', { signal: controller.signal });
    const read = client.getData('/', undefined, { signal: controller.signal });
    controller.abort();
    await assert.rejects(created, (err: unknown) => isAbortError(err));
    await assert.rejects(read, (err: unknown) => isAbortError(err));
    assert.ok((await client.getChildren('/')).includes('abort-create'), 'a create already sent is still applied');
    assert.equal(disconnects, 0);
    assert.equal(client.state, 'CONNECTED');
    await assert.rejects(client.exists('/', undefined, { signal: AbortSignal.abort() }), (err: unknown) => isAbortError(err));
  });

  test('a stalled reply fails with REQUESTTIMEOUT; when it comes it is dropped and later calls still match', async () => {
    const p = await proxy();
    const client = await open({ requestTimeoutMs: 300 }, p.port);
    await client.create('/timeout', 'v');
    p.stall(true);
    const slow = client.getData('/timeout');
    await assert.rejects(slow, isCode(ErrorCode.REQUESTTIMEOUT));
    p.stall(false);
    const { data } = await client.getData('/timeout');
    assert.equal(data?.toString(), 'v');
    assert.equal(client.state, 'CONNECTED');
  });

  test('a recursive watch stream sees the subtree; leaving the loop removes the watch on the server', async () => {
    const client = await open();
    const writer = await open();
    await client.create('/ws');
    const stream = client.watch('/ws', { mode: 'PERSISTENT_RECURSIVE' });
    await stream.ready;
    assert.equal(await serverHasWatch(client, '/ws'), true);
    await writer.create('/ws/a');
    await writer.setData('/ws/a', 'x');
    await writer.create('/ws/a/b');
    await writer.delete('/ws/a/b');
    await writer.setData('/ws', 'y');
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(`${event.type}:${event.path}`);
      if (seen.length === 5) break;
    }
    assert.deepEqual(seen, ['1:/ws/a', '3:/ws/a', '1:/ws/a/b', '2:/ws/a/b', '3:/ws']);
    assert.equal(await serverHasWatch(client, '/ws'), false, 'the server watch went with the loop');
    const persistent = client.watch('/ws', { mode: 'PERSISTENT' });
    await persistent.ready;
    await writer.create('/ws/c');
    assert.deepEqual(await persistent.next(), { value: { type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path: '/ws' }, done: false });
    await persistent.close();
    assert.equal(await serverHasWatch(client, '/ws'), false);
  });

  test('nextEvent waits for one event of a one-shot watch', async () => {
    const client = await open();
    const writer = await open();
    const created = client.nextEvent('/next', 'exists');
    await client.sync('/');
    await writer.create('/next', 'v');
    assert.deepEqual(await created, { type: EventType.NodeCreated, state: KeeperState.SyncConnected, path: '/next' });
    const children = client.nextEvent('/next', 'child');
    await client.sync('/');
    await writer.create('/next/kid');
    assert.equal((await children).type, EventType.NodeChildrenChanged);
    await assert.rejects(client.nextEvent('/missing', 'data'), isCode(ErrorCode.NONODE));
  });

  test('retry carries a read through a cut connection', async () => {
    const p = await proxy();
    const client = await open({ reconnectDelayMs: 50 }, p.port);
    await client.create('/retry', 'value');
    const retried: number[] = [];
    const result = await retry(
      async (attempt) => {
        const reading = client.getData('/retry');
        if (attempt === 0) p.cut();
        return reading;
      },
      { retries: 5, baseDelayMs: 20, maxDelayMs: 200, onRetry: (err) => retried.push(err.code) },
    );
    assert.equal(result.data?.toString(), 'value');
    assert.deepEqual(retried, [ErrorCode.CONNECTIONLOSS]);
  });

  test('session expiry is never hidden: calls while reconnecting, streams, state iterators and retries see SESSIONEXPIRED', async () => {
    const p = await proxy();
    const client = await open({ sessionTimeoutMs: 2_000 }, p.port);
    const observer = await open();
    await client.create('/expiring', null, { mode: 'EPHEMERAL' });
    await client.create('/expiring-watched');
    const stream = client.watch('/expiring-watched');
    await stream.ready;
    const changes = client.stateChanges();
    const waiting = client.nextEvent('/expiring-watched', 'data');
    await client.sync('/');
    p.refuse(true);
    p.cut();
    await waitFor('disconnected', () => client.state === 'CONNECTING');
    // Calls made while reconnecting fail with CONNECTIONLOSS at each failed attempt (as in
    // Java), so retry them: they must end with SESSIONEXPIRED, and never be retried past it.
    let attempts = 0;
    const failures: number[] = [];
    const retried = retry(
      async () => {
        attempts++;
        return client.exists('/');
      },
      { retries: 200, baseDelayMs: 10, maxDelayMs: 100, onRetry: (err) => failures.push(err.code) },
    );
    await waitFor('the server expires the session', async () => (await observer.exists('/expiring')) === null);
    p.refuse(false);
    await assert.rejects(retried, isCode(ErrorCode.SESSIONEXPIRED));
    assert.ok(failures.every((code) => code === ErrorCode.CONNECTIONLOSS), `only CONNECTIONLOSS was retried: ${failures}`);
    assert.equal(attempts, failures.length + 1, 'no attempt after SESSIONEXPIRED');
    await assert.rejects(waiting, isCode(ErrorCode.SESSIONEXPIRED));
    const events: WatchedEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of stream) events.push(event);
      })(),
      isCode(ErrorCode.SESSIONEXPIRED),
    );
    assert.deepEqual(events, [{ type: EventType.None, state: KeeperState.Disconnected, path: null }]);
    const seen: string[] = [];
    for await (const change of changes) seen.push(change);
    assert.deepEqual(seen, ['disconnected', 'expired']);
    assert.equal(client.state, 'CLOSED');
    await assert.rejects(client.getData('/'), isCode(ErrorCode.SESSIONEXPIRED));
  });
});

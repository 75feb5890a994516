/**
 * An in-process standalone server for the ops unit tests: the real pipeline with a log that is
 * durable on demand, fake client links, and an AdminContext over a fake host.
 */
import { AdminContext, type AdminHost } from '../../src/admin/admin-context.js';
import { parseServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import { ZkServer, type ClientLink, type DurableLog } from '../../src/server/zk-server.js';
import { DataTree } from '../../src/tree/data-tree.js';
import type { TxnEntry } from '../../src/proto/txn.js';
import { OpCode } from '../../src/proto/op-code.js';
import * as R from '../../src/proto/records.js';
import { connectBody, parseReply, requestBody } from '../support/wire.js';

class FakeLog implements DurableLog {
  readonly entries: TxnEntry[] = [];
  append(entry: TxnEntry): void {
    this.entries.push(entry);
  }
}

let nextLinkId = 5000;
export class FakeLink implements ClientLink {
  readonly id = nextLinkId++;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort: number;
  open = true;
  readonly frames: Buffer[] = [];
  constructor(port: number) {
    this.remotePort = port;
  }
  send(frame: Buffer): void {
    this.frames.push(frame);
  }
  close(): void {
    this.open = false;
  }
  sessionEstablished(): void {}
  pause(): void {}
  resume(): void {}
}

export const WORLD = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export interface Harness {
  readonly server: ZkServer;
  readonly ctx: AdminContext;
  readonly config: ServerConfig;
  readonly snapshotsTaken: number[];
  /** Connects a client on port `port`; resolves its session id. */
  connect(port: number, timeoutMs?: number): { link: FakeLink; sessionId: bigint };
  /** Sends a request and commits whatever it logged. */
  request<T>(link: FakeLink, xid: number, op: number, codec?: Parameters<typeof requestBody<T>>[2], value?: T): void;
  advance(ms: number): void;
}

export function harness(configText = 'dataDir=/var/zk\n4lw.commands.whitelist=*\n', hostOverrides: Partial<AdminHost> = {}): Harness {
  let now = 1_795_463_000_000;
  const log = new FakeLog();
  const config = parseServerConfig({ file: '/etc/zk/zoo.cfg', text: configText });
  const server = new ZkServer(new DataTree(), {
    tickTimeMs: config.tickTimeMs, minSessionTimeoutMs: config.minSessionTimeoutMs, maxSessionTimeoutMs: config.maxSessionTimeoutMs,
    serverId: 1n, superDigest: config.superDigest, extendedTypesEnabled: false, skipAcl: false, reconfigEnabled: false, maxRequestBytes: 1 << 20,
  }, { nowMs: () => now });
  server.attachLog(log);
  const commit = (): void => server.onDurable(log.entries.at(-1)?.header.zxid ?? 0n);
  const snapshotsTaken: number[] = [];
  const host: AdminHost = {
    environment: () => [['zookeeper.version', '3.8.0-tszk-0.1.0, built on 11/23/2026 00:00 GMT'], ['host.name', 'localhost'], ['java.version', 'v20']],
    systemProperties: () => [['file.encoding', 'UTF-8'], ['zookeeper.4lw.commands.whitelist', '*']],
    dataDirSize: () => 1234,
    logDirSize: () => 5678,
    openFileDescriptorCount: () => 42,
    maxFileDescriptorCount: () => 1024,
    nowMs: () => now,
    uptimeMs: () => 99,
    lastSnapshot: () => ({ zxid: 0x5n, timestampSec: 1795463001 }),
    takeSnapshot: () => {
      snapshotsTaken.push(now);
      return Promise.resolve({ path: '/var/zk/version-2/snapshot.5', zxid: 5n, bytes: 321 });
    },
    ...hostOverrides,
  };
  const ctx = new AdminContext(server, config, host);
  return {
    server, ctx, config, snapshotsTaken,
    connect(port, timeoutMs = 30000) {
      const link = new FakeLink(port);
      server.onConnectRequest(link, connectBody(0n, Buffer.alloc(16), timeoutMs));
      commit();
      const reply = parseReply(link.frames[0]!);
      void reply;
      const sessionId = [...server.connectionInfos()].find((c) => c.link === link)!.sessionId;
      link.frames.length = 0;
      return { link, sessionId };
    },
    request(link, xid, op, codec, value) {
      server.onRequest(link, requestBody(xid, op, codec, value));
      commit();
    },
    advance(ms) {
      now += ms;
    },
  };
}

/** Two sessions: one with an ephemeral and data watches on two paths, one idle. */
export function populated(configText?: string, withIdle = true): Harness & { busy: bigint; idle: bigint } {
  const h = harness(configText);
  const a = h.connect(48438);
  const b = withIdle ? h.connect(48439, 10000) : { sessionId: 0n };
  h.request(a.link, 1, OpCode.create, R.CreateRequest, { path: '/app', data: Buffer.from('hello'), acl: WORLD, flags: 0 });
  h.request(a.link, 2, OpCode.create, R.CreateRequest, { path: '/app/e', data: Buffer.from('x'), acl: WORLD, flags: 1 });
  h.advance(3);
  h.request(a.link, 3, OpCode.getData, R.GetDataRequest, { path: '/app', watch: true });
  h.request(a.link, 4, OpCode.exists, R.ExistsRequest, { path: '/app/e', watch: true });
  h.request(a.link, 5, OpCode.getChildren, R.GetChildrenRequest, { path: '/app', watch: true });
  return { ...h, busy: a.sessionId, idle: b.sessionId };
}

/**
 * Group membership, as Curator's GroupMember: each member keeps an ephemeral node
 * `<membershipPath>/<memberId>` holding its payload (a PersistentNode, so it survives
 * connection loss and comes back after session expiry), and sees the group through a
 * children cache of the membership path. A member always counts itself in, even while its own
 * node is being recreated.
 */
import type { DataInput } from '../client/types.js';
import { PathChildrenCache, type CacheEvent } from './cache.js';
import { PersistentNode } from './persistent-node.js';
import { joinPath, nodeNameOf, toRecipeSession, type SessionSource } from './persistent-node-session.js';

/** Membership changes: a member joined, changed its payload, or left. */
export type GroupEvent =
  | { readonly type: 'joined'; readonly id: string; readonly data: Buffer | null }
  | { readonly type: 'changed'; readonly id: string; readonly data: Buffer | null }
  | { readonly type: 'left'; readonly id: string }
  /** The first view of the group is loaded. */
  | { readonly type: 'initialized' };

/** Called on membership changes. */
export type GroupListener = (event: GroupEvent) => void;

/** How long start() waits for the member's own node by default. */
const JOIN_TIMEOUT_MS = 15_000;

/** One member of a group, and its view of the others. */
export class GroupMember {
  private readonly node: PersistentNode;
  private readonly cache: PathChildrenCache;

  constructor(
    source: SessionSource,
    readonly membershipPath: string,
    readonly thisId: string,
    payload: DataInput = null,
  ) {
    if (thisId === '' || thisId.includes('/')) throw new Error(`bad member id "${thisId}"`);
    const session = toRecipeSession(source);
    this.node = new PersistentNode(session, joinPath(membershipPath, thisId), payload, { mode: 'EPHEMERAL' });
    this.cache = new PathChildrenCache(session, membershipPath);
  }

  /**
   * Joins (creates this member's node) and loads the group; resolves once both are done, or
   * rejects after `timeoutMs` (the member keeps trying to join until closed).
   */
  async start(timeoutMs = JOIN_TIMEOUT_MS): Promise<void> {
    this.node.start();
    const joined = await this.node.waitForInitialCreate(timeoutMs);
    if (!joined) throw new Error(`GroupMember ${this.thisId}: not joined within ${timeoutMs} ms`);
    await this.cache.start();
  }

  /** Replaces this member's payload. */
  setThisData(data: DataInput): Promise<void> {
    return this.node.setData(data);
  }

  /** The members and their payloads, this member always included. */
  getCurrentMembers(): Map<string, Buffer | null> {
    const members = new Map<string, Buffer | null>();
    for (const child of this.cache.children()) members.set(nodeNameOf(child.path), child.data);
    if (!members.has(this.thisId)) members.set(this.thisId, this.node.getData());
    return members;
  }

  /** The member ids, sorted. */
  memberIds(): string[] {
    return [...this.getCurrentMembers().keys()].sort();
  }

  /** Listens to membership changes; returns a function that stops listening. */
  addListener(listener: GroupListener): () => void {
    return this.cache.addListener((event) => {
      const translated = toGroupEvent(event);
      if (translated !== null) listener(translated);
    });
  }

  /** Leaves the group (deletes this member's node) and stops watching. */
  async close(): Promise<void> {
    await this.cache.close();
    await this.node.close();
  }
}

function toGroupEvent(event: CacheEvent): GroupEvent | null {
  switch (event.type) {
    case 'initialized':
      return { type: 'initialized' };
    case 'created':
      return { type: 'joined', id: nodeNameOf(event.path), data: event.data.data };
    case 'changed':
      return { type: 'changed', id: nodeNameOf(event.path), data: event.data.data };
    case 'deleted':
      return { type: 'left', id: nodeNameOf(event.path) };
  }
}

/**
 * One client socket: frames in any chunking, four-letter words before the handshake, the
 * ConnectRequest, then requests handed to the server. Bad bytes close this connection only.
 */
import { FrameDecoder } from '../jute/frame-decoder.js';
import { JuteError } from '../jute/reader.js';
import type { ClientLink, ZkServer } from './zk-server.js';

/** The socket operations a connection needs (implemented over node:net in runtime/). */
export interface SocketPort {
  readonly remoteAddress: string;
  readonly remotePort: number;
  write(data: Buffer): void;
  /** Bytes written but not yet handed to the kernel. */
  readonly pendingWriteBytes: number;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
}

/** Answers a four-letter word, or returns undefined when `word` is not one. */
export type FourLetterHandler = (word: string, extra: Buffer) => string | undefined;

export interface ConnectionOptions {
  readonly maxFrameBytes: number;
  readonly fourLetter: FourLetterHandler;
  readonly log: (message: string) => void;
}

type Phase = 'new' | 'handshaking' | 'awaiting-session' | 'established' | 'closed';

let nextConnectionId = 1;

export class ClientConnection implements ClientLink {
  readonly id = nextConnectionId++;
  private readonly decoder: FrameDecoder;
  private phase: Phase = 'new';
  private sniff: Buffer = Buffer.alloc(0);
  /** Requests that arrived before the session was established (the createSession txn commits first). */
  private early: Buffer[] = [];

  constructor(
    private readonly socket: SocketPort,
    private readonly server: ZkServer,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress;
  }

  get remotePort(): number {
    return this.socket.remotePort;
  }

  get open(): boolean {
    return this.phase !== 'closed';
  }

  /** Bytes from the socket. */
  onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'new') {
      this.sniff = this.sniff.length === 0 ? chunk : Buffer.concat([this.sniff, chunk]);
      if (this.sniff.length < 4) return;
      const word = this.sniff.toString('latin1', 0, 4);
      const answer = this.options.fourLetter(word, this.sniff.subarray(4));
      if (answer !== undefined) {
        this.socket.write(Buffer.from(answer, 'utf8'));
        this.close('four-letter word answered');
        return;
      }
      chunk = this.sniff;
      this.sniff = Buffer.alloc(0);
      this.phase = 'handshaking';
    }
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof JuteError)) throw e;
      this.close(e.message);
      return;
    }
    for (const frame of frames) {
      const phase = this.phase as Phase;
      if (phase === 'closed') return;
      if (phase === 'handshaking') {
        this.phase = 'awaiting-session';
        this.server.onConnectRequest(this, frame);
      } else if (phase === 'awaiting-session') {
        if (this.early.length >= 1000) {
          this.close('too many requests before the session was established');
          return;
        }
        this.early.push(frame);
      } else {
        this.server.onRequest(this, frame);
      }
    }
  }

  /** The socket closed from the other side or failed. */
  onClosed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.server.onDisconnect(this);
  }

  /** The server accepted the session: requests that came early run now, in order. */
  sessionEstablished(): void {
    if (this.phase !== 'awaiting-session') return;
    this.phase = 'established';
    const early = this.early;
    this.early = [];
    for (const frame of early) {
      if ((this.phase as Phase) !== 'established') return;
      this.server.onRequest(this, frame);
    }
  }

  send(frame: Buffer): void {
    if (this.phase !== 'closed') this.socket.write(frame);
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.options.log(`closing connection ${this.socket.remoteAddress}:${this.socket.remotePort}: ${reason}`);
    this.server.onDisconnect(this);
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

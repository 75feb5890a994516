/**
 * Every bound the server enforces, in one place (TigerBeetle style: put a limit on everything).
 * Values that ZooKeeper also has keep ZooKeeper's defaults.
 */
export const limits = {
  /** jute.maxbuffer: largest frame, string or buffer accepted from the network (ZooKeeper 0xfffff). */
  juteMaxBuffer: 0xfffff,
  /** Extra room the server allows a request frame over juteMaxBuffer (zookeeper.jute.maxbuffer.extrasize). */
  juteMaxBufferExtra: 1024,
  /** Largest vector (ACL list, children, multi ops) decoded from one record. */
  vectorCountMax: 1 << 20,
  /** Requests one connection may have in flight before the server stops reading from it. */
  connectionOutstandingMax: 1000,
  /** Txns logged but not yet durable, across all connections, before the server stops reading new requests. */
  uncommittedTxnsMax: 20_000,
  /** Bytes of replies queued to one slow connection before the server stops reading its requests. */
  connectionOutboundBytesMax: 8 * 1024 * 1024,
  /** A connection must complete its handshake within this many milliseconds or be closed. */
  handshakeTimeoutMs: 10_000,
  /** Txns written by one group-commit batch at most. */
  groupCommitTxnsMax: 10_000,
  /** Bytes written by one group-commit batch at most. */
  groupCommitBytesMax: 16 * 1024 * 1024,
  /** Nodes serialised per event-loop turn while a snapshot is written in the background. */
  snapshotNodesPerSlice: 2_000,
  /** Sequential suffix width (String.format("%010d")). */
  sequentialDigits: 10,
  /** Largest TTL, ms (EphemeralType.TTL max: 0xFFFFFFFFFF). */
  ttlMsMax: 0xff_ffff_ffffn,
  /** Container nodes removed per check at most (znode.container.maxPerMinute). */
  containerDeletesPerCheckMax: 10_000,
  /** Rolled log files kept at most (zookeeper.log.maxbackupindex). */
  logBackupFilesMax: 1_000,
  /** Samples kept per latency summary for its percentiles (the most recent ones). */
  summarySamplesMax: 4_096,
  /** Concurrent HTTP connections to the admin server or the metrics endpoint, each. */
  httpConnectionsMax: 64,
  /** Bytes of an HTTP request line and headers the admin server reads at most. */
  httpHeaderBytesMax: 16 * 1024,
  /** Bytes the admin server reads from a request body at most (commands take no body). */
  httpBodyBytesMax: 64 * 1024,
  /** A `zk-server start` waits this long for the daemon to answer srvr before calling it failed. */
  daemonStartTimeoutMs: 30_000,
  /** A `zk-server stop` waits this long for the process to exit after SIGTERM before SIGKILL. */
  daemonStopTimeoutMs: 30_000,
} as const;

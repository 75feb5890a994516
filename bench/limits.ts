/**
 * Every bound the benchmark harness uses, in one place: sizes of the defaults, the smoke
 * sizes for CI, and the time limits that keep every load loop and every wait finite.
 */

/** The published stress test's sizes (issue 5), the defaults of `npm run bench`. */
export const FULL_SIZES = {
  /** znodes created, set, read and deleted. */
  znodes: 1_000_000,
  /** Ephemerals created by one session and watched by another. */
  ephemerals: 1_000,
  /** Exclusive-lock acquire/release cycles. */
  lockCycles: 10_000,
  /** Create-ephemeral/watch/delete/event cycles. */
  watchCycles: 10_000,
  /** znodes (1 KiB each) the read/write-ratio curve reads and writes. */
  ratioKeys: 10_000,
  /** Operations per point of the read/write-ratio curve. */
  ratioOps: 200_000,
  /** Cold starts on an empty data dir, median reported. */
  startupRuns: 3,
} as const;

/** `--smoke`: every phase tiny, the whole run (both servers) well under a minute. */
export const SMOKE_SIZES = {
  znodes: 300,
  ephemerals: 100,
  lockCycles: 60,
  watchCycles: 60,
  ratioKeys: 100,
  ratioOps: 300,
  startupRuns: 1,
} as const;

/** Read percentages of the ZooKeeper paper's curve (Figure 5 sweeps 0..100%). */
export const DEFAULT_READ_PERCENTS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as const;
/** Bytes per value in the read/write-ratio curve (the paper's 1 KiB). */
export const RATIO_VALUE_BYTES = 1024;
/** Bytes per value in the stress phases (create/set/read/delete). */
export const DEFAULT_VALUE_BYTES = 100;

/** Load client processes (worker threads), sessions each, requests in flight per session. */
export const DEFAULT_CLIENTS = 2;
export const DEFAULT_SESSIONS_PER_CLIENT = 4;
export const DEFAULT_WINDOW = 32;
/** Contenders in the lock phase and concurrent loops in the watch-cycle phase. */
export const DEFAULT_CONTENDERS = 4;
export const CLIENTS_MAX = 16;
export const SESSIONS_PER_CLIENT_MAX = 64;
/** ZooKeeper's globalOutstandingLimit is 1000 and tszk pauses a connection at 1000 queued. */
export const WINDOW_MAX = 500;
export const CONTENDERS_MAX = 64;
export const ZNODES_MAX = 10_000_000;

/** A phase that has not finished in this time stops issuing requests and reports what it did. */
export const PHASE_TIME_LIMIT_MS = 15 * 60_000;
/** Smoke runs give up much sooner. */
export const SMOKE_PHASE_TIME_LIMIT_MS = 20_000;
/** Wait for one reply or one event at most this long (lock, watch cycle, ephemerals). */
export const REPLY_TIMEOUT_MS = 30_000;
/** Session timeout the load client asks for; pings keep idle sessions alive well within it. */
export const SESSION_TIMEOUT_MS = 30_000;
export const PING_INTERVAL_MS = 5_000;
/** Connecting plus the handshake must finish within this time. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Largest frame the load client accepts (replies are small; getChildren of the lock dir). */
export const CLIENT_FRAME_BYTES_MAX = 16 * 1024 * 1024;

/** After the recovery restart, this fraction of the znodes (at most WARMUP_OPS_MAX) is read and rewritten, untimed, to warm the JIT up. */
export const WARMUP_FRACTION = 0.1;
export const WARMUP_OPS_MAX = 50_000;
/** Startup: poll for the first successful request this often, give up after this long. */
export const STARTUP_POLL_INTERVAL_MS = 5;
export const STARTUP_TIMEOUT_MS = 120_000;
/** A server that ignores SIGTERM this long is killed. */
export const STOP_TIMEOUT_MS = 30_000;
/** Server RSS is sampled this often during a phase. */
export const RSS_SAMPLE_INTERVAL_MS = 100;
/** Worker progress messages at most this often. */
export const PROGRESS_INTERVAL_MS = 200;
/** Non-TTY progress prints a plain line at most this often. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
/** Workers must come up and open their sessions within this time. */
export const WORKER_READY_TIMEOUT_MS = 60_000;

/** Latency histogram: sub-buckets per power of two (≤ 1/64 ≈ 1.6% relative error). */
export const HISTOGRAM_SUB_BUCKETS = 64;
/** Powers of two covered, from 1 µs: 2^40 µs is far beyond any phase. */
export const HISTOGRAM_OCTAVES = 40;

/** Heap given to the reference ZooKeeper JVM (1M znodes do not fit the tests' 512m). */
export const DEFAULT_ZOOKEEPER_HEAP = '2g';
/** Heap of each ZooKeeper JVM of an ensemble (up to 7 on the machine), unless --zookeeper-heap says otherwise. */
export const ENSEMBLE_ZOOKEEPER_HEAP = '512m';
/** Ensemble members' zoo.cfg: initLimit and syncLimit in ticks (tickTime SERVER_TICK_TIME_MS). */
export const ENSEMBLE_INIT_LIMIT_TICKS = 10;
export const ENSEMBLE_SYNC_LIMIT_TICKS = 5;
/** Ensemble members are polled for their first reply this often (many processes share 2 cores). */
export const ENSEMBLE_STARTUP_POLL_INTERVAL_MS = 250;
/** After every member answers, srvr is polled this often until one leader and N-1 followers show, for at most this long. */
export const LEADER_POLL_INTERVAL_MS = 50;
export const LEADER_TIMEOUT_MS = 60_000;
/** zoo.cfg values both servers get. */
export const SERVER_TICK_TIME_MS = 2000;
export const SERVER_SNAP_COUNT = 100_000;

/** Functions listed per profile in profile-summary. */
export const PROFILE_TOP_FUNCTIONS = 25;

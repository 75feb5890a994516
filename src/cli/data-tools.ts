/**
 * `zk-server snapshot-dump | txnlog-dump | purge`: ZooKeeper's data tools (SnapshotFormatter,
 * TxnLogToolkit's dump mode and PurgeTxnLog) with their output, messages and exit codes, on
 * ZooKeeper's and tszk's data directories alike (the formats are the same).
 *
 *   snapshot-dump [-d|-json] <snapshot file>     (.gz snapshots too)
 *   txnlog-dump [-d] <log file>
 *   purge <dataLogDir> [<snapDir>] -n <count>    (count >= 3; the txn log directory comes FIRST,
 *                                                 as in PurgeTxnLog and zkCleanup.sh)
 *
 * A progress bar goes to stderr while a dump is written to a file or pipe (stderr a terminal,
 * stdout not); it never mixes into the output.
 */
import { stat } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { NodeFileSystem } from '../runtime/node-file-system.js';
import { purge } from '../storage/purge.js';
import { LOG_PREFIX, SNAPSHOT_PREFIX, VERSION_DIR } from '../storage/file-names.js';
import { ProgressBar, type ProgressTerminal } from './data-tools-progress.js';
import { javaMediumDateTime } from './data-tools-java.js';
import { loadSnapshotForDump, SnapshotDumpError, writeSnapshotJson, writeSnapshotText, type TextOut } from './data-tools-snapshot.js';
import { writeTxnLogDump } from './data-tools-txnlog.js';

/** ExitCode.UNEXPECTED_ERROR and ExitCode.INVALID_INVOCATION, as the Java tools use them. */
const EXIT_ERROR = 1;
const EXIT_INVALID_INVOCATION = 2;
/** Output is handed to stdout in pieces of about this size. */
const STDOUT_CHUNK_CHARS = 64 * 1024;
/** PurgeTxnLog refuses to keep fewer snapshots than this. */
const PURGE_RETAIN_MIN = 3;

/** Where a data tool reads and writes: the process's streams, or stand-ins in tests. */
export interface DataToolIo {
  /** Writes to standard output; resolves when more may be written (backpressure). */
  readonly stdout: (text: string) => Promise<void>;
  /** True when standard output is a terminal (the progress bar then stays off). */
  readonly stdoutIsTTY: boolean;
  /** Standard error, also where the progress bar is drawn when it is a terminal. */
  readonly stderr: ProgressTerminal;
  /** Wall-clock milliseconds (SnapshotFormatter -json prints the time; the bar is rate-limited by it). */
  readonly nowMs: () => number;
  /** The directory relative paths are resolved against in messages (Java's getAbsolutePath). */
  readonly cwd: string;
}

/** What `DataToolIo.stdout` throws once its reader has gone (`| head`): the run then ends quietly with 0. */
export class OutputClosed extends Error {
  override name = 'OutputClosed';
}

/**
 * Runs `command` (snapshot-dump, txnlog-dump or purge) with `argv` (the words after it) on this
 * process's stdout/stderr. Resolves with the exit code; never rejects for bad input or IO errors.
 */
export function runDataTool(command: string, argv: string[]): Promise<number> {
  return runDataToolWith(command, argv, processIo());
}

/** runDataTool with explicit IO (tests capture the output this way). */
export async function runDataToolWith(command: string, argv: readonly string[], io: DataToolIo): Promise<number> {
  try {
    switch (command) {
      case 'snapshot-dump':
        return await snapshotDump(argv, io);
      case 'txnlog-dump':
        return await txnLogDump(argv, io);
      case 'purge':
        return await purgeCommand(argv, io);
      default:
        io.stderr.write(`unknown data tool command: ${command} (expected snapshot-dump, txnlog-dump or purge)\n`);
        return EXIT_INVALID_INVOCATION;
    }
  } catch (error) {
    if (error instanceof OutputClosed) return 0;
    io.stderr.write(`${command}: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
}

function processIo(): DataToolIo {
  let closed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') closed = true;
  });
  return {
    stdout: (text) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new OutputClosed());
          return;
        }
        const onError = (error: NodeJS.ErrnoException): void => reject(error.code === 'EPIPE' ? new OutputClosed() : error);
        process.stdout.once('error', onError);
        const settle = (): void => {
          process.stdout.off('error', onError);
          resolve();
        };
        if (process.stdout.write(text)) settle();
        else process.stdout.once('drain', settle);
      }),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderr: {
      isTTY: process.stderr.isTTY === true,
      get columns() {
        return process.stderr.columns;
      },
      write: (text) => void process.stderr.write(text),
    },
    nowMs: () => Date.now(),
    cwd: process.cwd(),
  };
}

/** Gathers output into chunks so a dump of millions of lines makes few stdout writes. */
class ChunkedOut {
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly io: DataToolIo) {}

  readonly write: TextOut = (text) => {
    this.pending.push(text);
    this.pendingChars += text.length;
    return this.pendingChars >= STDOUT_CHUNK_CHARS ? this.flush() : undefined;
  };

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    await this.io.stdout(text);
  }
}

function progressBar(io: DataToolIo, label: string, total: number): ProgressBar {
  const terminal: ProgressTerminal = {
    isTTY: io.stderr.isTTY && !io.stdoutIsTTY,
    columns: io.stderr.columns,
    write: (text) => io.stderr.write(text),
  };
  return new ProgressBar(terminal, label, total, { nowMs: io.nowMs });
}

/** java.io.File's normal form on Unix: no repeated slashes, no trailing slash. */
export function javaFilePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

/** File.getAbsolutePath: relative paths are put under the working directory, nothing resolved. */
function absolutePath(io: DataToolIo, path: string): string {
  const normal = javaFilePath(path);
  return normal.startsWith('/') ? normal : javaFilePath(`${io.cwd}/${normal}`);
}

function baseName(path: string): string {
  const normal = javaFilePath(path);
  return normal.substring(normal.lastIndexOf('/') + 1);
}

// ---- snapshot-dump ----

const SNAPSHOT_USAGE =
  'USAGE: zk-server snapshot-dump [-d|-json] snapshot_file\n' +
  '       -d dump the data for each znode\n' +
  '       -json dump znode info in json format\n';

/** ZKUtil.validateFileInput: why `path` cannot be read as a file, or undefined. */
async function fileProblem(io: DataToolIo, path: string): Promise<string | undefined> {
  const absolute = absolutePath(io, path);
  try {
    const info = await stat(path);
    if (info.isDirectory()) return `'${absolute}' is a directory. it must be a file.`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return `Read permission is denied on the file '${absolute}'`;
    return `File '${absolute}' does not exist.`;
  }
}

async function snapshotDump(argv: readonly string[], io: DataToolIo): Promise<number> {
  let dumpData = false;
  let dumpJson = false;
  let file: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-d') dumpData = true;
    else if (arg === '-json') dumpJson = true;
    else {
      file = arg;
      i++;
      break;
    }
  }
  if (i !== argv.length || file === undefined) {
    io.stderr.write(SNAPSHOT_USAGE);
    return EXIT_INVALID_INVOCATION;
  }
  const problem = await fileProblem(io, file);
  if (problem !== undefined) {
    io.stderr.write(`${problem}\n`);
    return EXIT_INVALID_INVOCATION;
  }
  if (dumpData && dumpJson) {
    io.stderr.write('Cannot specify both data dump (-d) and json mode (-json) in same call\n');
    return EXIT_INVALID_INVOCATION;
  }
  const name = baseName(file);
  if (name.endsWith('.snappy')) {
    io.stderr.write(`${file}: snappy-compressed snapshots are not supported; decompress it first\n`);
    return EXIT_ERROR;
  }
  let bytes = await new NodeFileSystem().readFile(file);
  if (name.endsWith('.gz')) bytes = await promisify(gunzip)(bytes);

  const loading = progressBar(io, 'loading snapshot', bytes.length);
  let dump;
  try {
    dump = loadSnapshotForDump(bytes, (offset) => loading.update(offset));
  } catch (error) {
    loading.finish();
    if (!(error instanceof SnapshotDumpError)) throw error;
    io.stderr.write(`${file}: ${error.message}\n`);
    return EXIT_ERROR;
  }
  loading.finish();
  const out = new ChunkedOut(io);
  const dumping = progressBar(io, 'dumping nodes', dump.fileNodes);
  try {
    const onNode = (visited: number) => {
      if ((visited & 0x3ff) === 0) dumping.update(visited);
    };
    if (dumpJson) await writeSnapshotJson(dump, io.nowMs(), out.write, onNode);
    else await writeSnapshotText(dump, name, dumpData, out.write, onNode);
    await out.flush();
  } finally {
    dumping.finish();
  }
  if (dump.sealProblem !== undefined) io.stderr.write(`warning: ${file}: ${dump.sealProblem}\n`);
  return 0;
}

// ---- txnlog-dump ----

const TXNLOG_USAGE =
  'usage: zk-server txnlog-dump [-dh] <txn_log_file_name>\n' +
  ' -d,--dump   Dump mode. Dump all entries of the log file with printing the\n' +
  '             content of a nodepath (default)\n' +
  ' -h,--help   Print help message\n';

async function txnLogDump(argv: readonly string[], io: DataToolIo): Promise<number> {
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') {
      await io.stdout(TXNLOG_USAGE);
      return 0;
    }
    if (arg === '-d' || arg === '--dump') continue;
    if (arg.startsWith('-') && arg !== '-') {
      io.stderr.write(`Unrecognized option: ${arg}\n\n`);
      await io.stdout(TXNLOG_USAGE);
      return EXIT_ERROR;
    }
    files.push(arg);
  }
  const file = files[0];
  if (file === undefined) {
    await io.stdout(TXNLOG_USAGE);
    return EXIT_ERROR;
  }
  if ((await fileProblem(io, file)) !== undefined) {
    io.stderr.write(`File doesn't exist or not readable: ${javaFilePath(file)}\n`);
    return EXIT_ERROR;
  }
  const bytes = await new NodeFileSystem().readFile(file);
  const out = new ChunkedOut(io);
  const reading = progressBar(io, 'dumping txns', bytes.length);
  let result;
  try {
    result = await writeTxnLogDump(bytes, baseName(file), out.write, (offset) => reading.update(offset));
    await out.flush();
  } finally {
    reading.finish();
  }
  if (result.error !== undefined) io.stderr.write(`${result.error}\n`);
  return result.exitCode;
}

// ---- purge ----

const PURGE_USAGE =
  'Usage:\n' +
  'zk-server purge dataLogDir [snapDir] -n count\n' +
  '\tdataLogDir -- path to the txn log directory\n' +
  '\tsnapDir -- path to the snapshot directory\n' +
  '\tcount -- the number of old snaps/logs you want to keep, value should be greater than or equal to 3\n';

/** PurgeTxnLog.printUsageThenExit. */
async function purgeUsage(io: DataToolIo): Promise<number> {
  await io.stdout(PURGE_USAGE);
  return EXIT_ERROR;
}

/** Integer.parseInt: optional sign, decimal digits, within int range. */
function parseJavaInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= -(2 ** 31) && value <= 2 ** 31 - 1 ? value : undefined;
}

async function purgeCommand(argv: readonly string[], io: DataToolIo): Promise<number> {
  if (argv.length < 3 || argv.length > 4) return purgeUsage(io);
  const existing = async (path: string): Promise<boolean> => {
    if (await stat(path).then(() => true, () => false)) return true;
    io.stderr.write(`Path '${absolutePath(io, path)}' does not exist. \n`);
    return false;
  };
  const logDir = argv[0]!;
  if (!(await existing(logDir))) return purgeUsage(io);
  let snapDir = logDir;
  let countArg: string;
  let countOption: string;
  if (argv.length === 3) {
    countOption = argv[1]!;
    countArg = argv[2]!;
  } else {
    snapDir = argv[1]!;
    if (!(await existing(snapDir))) return purgeUsage(io);
    countOption = argv[2]!;
    countArg = argv[3]!;
  }
  const count = parseJavaInt(countArg);
  if (count === undefined) {
    io.stderr.write(`'${countArg}' can not be parsed to integer.\n`);
    return purgeUsage(io);
  }
  if (count < PURGE_RETAIN_MIN) {
    io.stderr.write('count should be greater than or equal to 3\n');
    return purgeUsage(io);
  }
  if (countOption !== '-n') return purgeUsage(io);
  return purgeDirs(javaFilePath(logDir), javaFilePath(snapDir), count, io);
}

/** PurgeTxnLog.purge: FileTxnSnapLog's directory checks, then retention; prints each removal. */
async function purgeDirs(logDir: string, snapDir: string, count: number, io: DataToolIo): Promise<number> {
  const fs = new NodeFileSystem();
  const logVersionDir = `${logDir === '/' ? '' : logDir}/${VERSION_DIR}`;
  const snapVersionDir = `${snapDir === '/' ? '' : snapDir}/${VERSION_DIR}`;
  const logNames = await fs.list(logVersionDir);
  const snapNames = await fs.list(snapVersionDir);
  if (logVersionDir !== snapVersionDir) {
    // FileTxnSnapLog's checks (ZOOKEEPER-2967); they also catch the two directories given swapped.
    if (logNames.some((name) => name.startsWith(`${SNAPSHOT_PREFIX}.`))) {
      io.stderr.write(
        'Log directory has snapshot files. Check if dataLogDir and dataDir configuration is correct.' +
          ' (The txn log directory comes first: purge dataLogDir [snapDir] -n count.)\n',
      );
      return EXIT_ERROR;
    }
    if (snapNames.some((name) => name.startsWith(`${LOG_PREFIX}.`))) {
      io.stderr.write(
        'Snapshot directory has log files. Check if dataLogDir and dataDir configuration is correct.' +
          ' (The txn log directory comes first: purge dataLogDir [snapDir] -n count.)\n',
      );
      return EXIT_ERROR;
    }
  }
  // Removal times are printed, so they are read before anything is removed.
  const modified = new Map<string, number>();
  for (const [dir, names] of [[logVersionDir, logNames], [snapVersionDir, snapNames]] as const) {
    for (const name of names) {
      const path = `${dir}/${name}`;
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined) modified.set(path, info.mtimeMs);
    }
  }
  const result = await purge(fs, { dataDir: snapDir, dataLogDir: logDir }, count);
  const lines = result.removed.map((path) => `Removing file: ${javaMediumDateTime(Math.floor(modified.get(path) ?? 0))}\t${path}\n`);
  if (lines.length > 0) await io.stdout(lines.join(''));
  return 0;
}

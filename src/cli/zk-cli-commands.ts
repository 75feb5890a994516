/**
 * The zkCli commands that talk to ZooKeeper, each parsing its arguments and printing its
 * results and errors exactly as the ZooKeeper 3.8 CliCommand of the same name does.
 */
import { readFileSync } from 'node:fs';
import type { ZooKeeperClient } from '../client/zookeeper-client.js';
import { Ids, type Acl, type Stat } from '../proto/data.js';
import { ErrorCode, errorName, KeeperError } from '../proto/error-code.js';
import { aclJson, dataJson, statJson } from './zk-cli-json.js';
import { WatcherType } from '../proto/defs.js';
import { InvalidArgumentError, validatePath } from '../client/paths.js';
import {
  aclLines,
  cliErrorMessage,
  clientConfigString,
  javaList,
  keeperMessage,
  parseAcl,
  statLines,
} from './zk-cli-format.js';
import { CliParseError, parseOptions, type OptionSpec, type ParsedCommand } from './zk-cli-parse.js';

/**
 * A failed command: its message goes to stderr and its exit code becomes the CLI's. `code` is
 * the stable name `--json` reports (a KeeperError's name, USAGE, ...; default BADARGUMENTS).
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly code: string;
  constructor(
    message: string,
    readonly exitCode = 1,
    code = 'BADARGUMENTS',
  ) {
    super(message);
    this.code = code;
  }
}

/** What a command may use. */
export interface CommandContext {
  readonly client: ZooKeeperClient;
  out(line: string): void;
  /** Prints without a newline (setAcl -R's error messages). */
  outRaw(text: string): void;
  err(line: string): void;
  readonly timeZone?: string;
  /**
   * Set in `--json` mode: receives the command's result document, once, on success. Text
   * that `out` prints is then dropped and `err` lines become the document's warnings.
   */
  readonly result?: (doc: Record<string, unknown>) => void;
}

/** One command: its option letters, usage text and behaviour. */
export interface CliCommand {
  readonly usage: string;
  readonly spec: OptionSpec;
  run(ctx: CommandContext, parsed: ParsedCommand, tokens: string[]): Promise<void>;
}

const LONG_MAX = 2n ** 63n - 1n;

/** Turns a client error into zkCli's message, as CliWrapperException/MalformedPathException do. */
function wrap(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof InvalidArgumentError) return new CliError(err.message, 1, 'BADARGUMENTS');
  if (err instanceof KeeperError) return new CliError(cliErrorMessage(err), 1, errorName(err.code));
  return new CliError(err instanceof Error ? err.message : String(err), 1, 'ERROR');
}

async function guarded<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw wrap(err);
  }
}

function usageError(name: string, command: CliCommand): CliError {
  return new CliError(`${name} ${command.usage}`, 1, 'USAGE');
}

/** Integer.parseInt: a bad number kills the Java CLI with this message. */
function parseJavaInt(text: string): number {
  if (!/^[+-]?\d+$/.test(text) || Number(text) > 2 ** 31 - 1 || Number(text) < -(2 ** 31)) {
    throw new CliError(`Exception in thread "main" java.lang.NumberFormatException: For input string: "${text}"`, -1, 'BADARGUMENTS');
  }
  return Number(text);
}

function versionOption(parsed: ParsedCommand): number {
  const value = parsed.options.get('v');
  return typeof value === 'string' ? parseJavaInt(value) : -1;
}

function printStat(ctx: CommandContext, stat: Stat): void {
  for (const line of statLines(stat, ctx.timeZone)) ctx.out(line);
}

/** The `cmd path [watch]` form: the third token becomes -w and a deprecation notice is printed. */
function retainWatchCompatibility(name: string, modern: string, tokens: string[], parsed: ParsedCommand, spec: OptionSpec, ctx: CommandContext) {
  if (parsed.args.length <= 2) return parsed;
  const rewritten = [...tokens];
  rewritten[2] = '-w';
  ctx.err(`'${name} path [watch]' has been deprecated. Please use '${modern}' instead.`);
  return parseOptions(rewritten, spec);
}

const create: CliCommand = {
  usage: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
  spec: { flags: 'esc', withValue: 't' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('create', this);
    const has = (o: string) => parsed.options.has(o);
    if (has('c') && (has('e') || has('s'))) {
      throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
    }
    const ttlText = parsed.options.get('t');
    let ttl = 0n;
    if (typeof ttlText === 'string') {
      if (!/^[+-]?\d+$/.test(ttlText) || BigInt(ttlText) > LONG_MAX || BigInt(ttlText) < -LONG_MAX - 1n) {
        throw new CliError('-t argument must be a long value');
      }
      ttl = BigInt(ttlText);
    }
    if (has('t') && has('e')) throw new CliError('TTLs cannot be used with Ephemeral znodes');
    if (has('t') && has('c')) throw new CliError('TTLs cannot be used with Container znodes');
    const mode = createMode(has('e'), has('s'), has('c'), has('t'));
    if (has('t') && (ttl <= 0n || ttl > 0xff_ffff_ffffn)) {
      throw new CliError('ttl must be positive and cannot be larger than: 1099511627775');
    }
    const [, path, data, aclText] = parsed.args;
    let acl: readonly Acl[] = Ids.OPEN_ACL_UNSAFE;
    if (aclText !== undefined) acl = parseAclReporting(ctx, aclText);
    try {
      const options = has('t') ? { acl, mode, ttl } : { acl, mode };
      const created = await ctx.client.create(path!, data === undefined ? null : Buffer.from(data, 'utf8'), options);
      if (ctx.result === undefined) ctx.err(`Created ${created}`);
      ctx.result?.({ path: created });
    } catch (err) {
      if (err instanceof KeeperError && err.code === ErrorCode.INVALIDACL) ctx.err(keeperMessage(err));
      if (err instanceof KeeperError && err.code === ErrorCode.EPHEMERALONLOCALSESSION) {
        ctx.err('Unable to create ephemeral node on a local session');
      }
      throw wrap(err);
    }
  },
};

function createMode(ephemeral: boolean, sequential: boolean, container: boolean, ttl: boolean): number {
  if (ephemeral && sequential) return 3;
  if (ephemeral) return 1;
  if (sequential) return ttl ? 6 : 2;
  if (container) return 4;
  return ttl ? 5 : 0;
}

function parseAclReporting(ctx: CommandContext, text: string): Acl[] {
  const { acl, warnings } = parseAcl(text);
  for (const warning of warnings) ctx.err(warning);
  return acl;
}

/** commons-cli HelpFormatter's output for `ls -?`. */
const LS_HELP = ['usage: ls [options] path', ' -?   help', ' -R   recurse', ' -s   stat', ' -w   watch'];

const ls: CliCommand = {
  usage: '[-s] [-w] [-R] path',
  spec: { flags: '?swR', withValue: '' },
  async run(ctx, first, tokens) {
    if (first.options.has('?')) for (const line of LS_HELP) ctx.out(line);
    const parsed = retainWatchCompatibility('ls', 'ls [-w] path', tokens, first, this.spec, ctx);
    if (parsed.args.length < 2) throw usageError('ls', this);
    const path = parsed.args[1]!;
    const watch = parsed.options.has('w') ? { watch: true } : undefined;
    if (parsed.options.has('R')) {
      const paths: string[] = [];
      await guarded(() =>
        visitSubTree(ctx.client, path, watch !== undefined, async (p) => {
          ctx.out(p);
          paths.push(p);
        }),
      );
      ctx.result?.({ path, paths });
      return;
    }
    const result = await guarded(() => ctx.client.getChildren2(path, watch));
    const children = [...result.children].sort();
    ctx.out(javaList(children));
    if (parsed.options.has('s')) printStat(ctx, result.stat);
    ctx.result?.({ path, children, stat: statJson(result.stat) });
  },
};

/** ZKUtil.visitSubTreeDFS: the root, then each node's sorted children before descending. */
async function visitSubTree(client: ZooKeeperClient, path: string, watch: boolean, visit: (path: string) => Promise<void>) {
  validatePath(path);
  await client.getData(path, watch ? { watch: true } : undefined);
  await visit(path);
  await visitChildren(client, path, watch, visit, 0);
}

/** Tree depth at most (a ZooKeeper path cannot be deeper than jute.maxbuffer allows anyway). */
const DEPTH_MAX = 100_000;

async function visitChildren(client: ZooKeeperClient, path: string, watch: boolean, visit: (p: string) => Promise<void>, depth: number) {
  if (depth > DEPTH_MAX) return;
  let children: string[];
  try {
    children = (await client.getChildren(path, watch ? { watch: true } : undefined)).sort();
  } catch (err) {
    if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return;
    throw err;
  }
  const childPath = (child: string) => (path === '/' ? '/' : path + '/') + child;
  for (const child of children) await visit(childPath(child));
  for (const child of children) await visitChildren(client, childPath(child), watch, visit, depth + 1);
}

const get: CliCommand = {
  usage: '[-s] [-w] path',
  spec: { flags: 'sw', withValue: '' },
  async run(ctx, first, tokens) {
    if (first.args.length < 2) throw usageError('get', this);
    const parsed = retainWatchCompatibility('get', 'get [-s] [-w] path', tokens, first, this.spec, ctx);
    const path = parsed.args[1]!;
    const result = await guarded(() => ctx.client.getData(path, parsed.options.has('w') ? { watch: true } : undefined));
    ctx.out(result.data === null ? 'null' : result.data.toString('utf8'));
    if (parsed.options.has('s')) printStat(ctx, result.stat);
    ctx.result?.({ path, ...dataJson(result.data), stat: statJson(result.stat) });
  },
};

const set: CliCommand = {
  usage: '[-s] [-v version] path data',
  spec: { flags: 's', withValue: 'v' },
  async run(ctx, parsed) {
    if (parsed.args.length < 3) throw usageError('set', this);
    const version = versionOption(parsed);
    const stat = await guarded(() => ctx.client.setData(parsed.args[1]!, Buffer.from(parsed.args[2]!, 'utf8'), version));
    if (parsed.options.has('s')) printStat(ctx, stat);
    ctx.result?.({ path: parsed.args[1]!, stat: statJson(stat) });
  },
};

const stat: CliCommand = {
  usage: '[-w] path',
  spec: { flags: 'w', withValue: '' },
  async run(ctx, first, tokens) {
    if (first.args.length < 2) throw usageError('stat', this);
    const parsed = retainWatchCompatibility('stat', 'stat [-w] path', tokens, first, this.spec, ctx);
    const path = parsed.args[1]!;
    const result = await guarded(() => ctx.client.exists(path, parsed.options.has('w') ? { watch: true } : undefined));
    if (result === null) throw wrap(new KeeperError(ErrorCode.NONODE, path));
    printStat(ctx, result);
    ctx.result?.({ path, stat: statJson(result) });
  },
};

const del: CliCommand = {
  usage: '[-v version] path',
  spec: { flags: '', withValue: 'v' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('delete', this);
    if (parsed.args.length > 2) {
      ctx.err("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.");
    }
    const version = versionOption(parsed);
    await guarded(() => ctx.client.delete(parsed.args[1]!, version));
    ctx.result?.({ path: parsed.args[1]!, deleted: true });
  },
};

const deleteAll: CliCommand = {
  usage: 'path [-b batch size]',
  spec: { flags: '', withValue: 'b' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('deleteall', this);
    const batchText = parsed.options.get('b');
    let batchSize = 1000;
    if (typeof batchText === 'string') {
      if (!/^[+-]?\d+$/.test(batchText) || Math.abs(Number(batchText)) > 2 ** 31 - 1) {
        throw new CliError('-b argument must be an int value');
      }
      batchSize = Number(batchText);
    }
    const ok = await guarded(() => deleteRecursive(ctx.client, parsed.args[1]!, batchSize));
    if (!ok) ctx.err('Failed to delete some node(s) in the subtree!');
    ctx.result?.({ path: parsed.args[1]!, deleted: ok });
  },
};

/** ZKUtil.deleteRecursive: list the subtree breadth-first, then delete leaves first in multi batches. */
async function deleteRecursive(client: ZooKeeperClient, root: string, batchSize: number): Promise<boolean> {
  validatePath(root);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const node = tree[i]!;
    for (const child of await client.getChildren(node)) tree.push((node === '/' ? '' : node) + '/' + child);
  }
  // As in ZKUtil, a batch size below 1 never fills a batch: everything goes in one multi.
  const size = batchSize > 0 ? batchSize : tree.length;
  const batches: string[][] = [];
  for (let end = tree.length; end > 0; end -= size) batches.push(tree.slice(Math.max(0, end - size), end).reverse());
  for (const batch of batches) {
    const results = await client.multi(batch.map((path) => ({ op: 'delete' as const, path, version: -1 })));
    if (results.some((r) => r.type === 'error')) return false;
  }
  return true;
}

const getAcl: CliCommand = {
  usage: '[-s] path',
  spec: { flags: 's', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('getAcl', this);
    const result = await guarded(() => ctx.client.getACL(parsed.args[1]!));
    for (const entry of result.acl) for (const line of aclLines(entry)) ctx.out(line);
    if (parsed.options.has('s')) printStat(ctx, result.stat);
    ctx.result?.({ path: parsed.args[1]!, acl: result.acl.map(aclJson), stat: statJson(result.stat) });
  },
};

const setAcl: CliCommand = {
  usage: '[-s] [-v version] [-R] path acl',
  spec: { flags: 'sR', withValue: 'v' },
  async run(ctx, parsed) {
    if (parsed.args.length < 3) throw usageError('setAcl', this);
    const path = parsed.args[1]!;
    const acl = parseAclReporting(ctx, parsed.args[2]!);
    const version = versionOption(parsed);
    if (parsed.options.has('R')) {
      await guarded(() =>
        visitSubTree(ctx.client, path, false, async (p) => {
          await ctx.client.setACL(p, acl, version).catch((err: unknown) => ctx.outRaw(errorText(err)));
        }),
      );
      ctx.result?.({ path, recursive: true });
      return;
    }
    const result = await guarded(() => ctx.client.setACL(path, acl, version));
    if (parsed.options.has('s')) printStat(ctx, result);
    ctx.result?.({ path, stat: statJson(result) });
  },
};

function errorText(err: unknown): string {
  if (err instanceof KeeperError && !(err instanceof InvalidArgumentError)) return keeperMessage(err);
  return err instanceof Error ? err.message : String(err);
}

const addAuth: CliCommand = {
  usage: 'scheme auth',
  spec: { flags: '', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('addauth', this);
    const auth = parsed.args[2] === undefined ? null : Buffer.from(parsed.args[2], 'utf8');
    // Fire and forget, as ZooKeeper.addAuthInfo: a failure shows up as the AuthFailed event.
    ctx.client.addAuth(parsed.args[1]!, auth).catch(() => {});
    ctx.result?.({ scheme: parsed.args[1]! });
  },
};

const sync: CliCommand = {
  usage: 'path',
  spec: { flags: '', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('sync', this);
    const path = parsed.args[1]!;
    try {
      validatePath(path);
    } catch (err) {
      throw wrap(err);
    }
    try {
      await ctx.client.sync(path);
      ctx.out('Sync is OK');
      ctx.result?.({ path, synced: true });
    } catch (err) {
      if (!(err instanceof KeeperError)) throw wrap(err);
      ctx.out(`Sync has failed. rc=${err.code}`);
      // zkCli reports this on stdout and exits 0; so does --json, as an error document.
      ctx.result?.({ error: { code: errorName(err.code), message: `Sync has failed. rc=${err.code}` } });
    }
  },
};

const whoami: CliCommand = {
  usage: '',
  spec: { flags: '', withValue: '' },
  async run(ctx) {
    const infos = await guarded(() => ctx.client.whoAmI());
    ctx.out('Auth scheme: User');
    for (const info of infos) ctx.out(`${info.authScheme}: ${info.user}`);
    ctx.result?.({ identities: infos.map((info) => ({ scheme: info.authScheme, user: info.user })) });
  },
};

const getEphemerals: CliCommand = {
  usage: 'path',
  spec: { flags: '', withValue: '' },
  async run(ctx, parsed) {
    const ephemerals = await guarded(() => ctx.client.getEphemerals(parsed.args[1] ?? '/'));
    ctx.out(javaList(ephemerals));
    ctx.result?.({ path: parsed.args[1] ?? '/', ephemerals });
  },
};

const getAllChildrenNumber: CliCommand = {
  usage: 'path',
  spec: { flags: '', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('getAllChildrenNumber', this);
    const count = await guarded(() => ctx.client.getAllChildrenNumber(parsed.args[1]!));
    ctx.out(String(count));
    ctx.result?.({ path: parsed.args[1]!, count });
  },
};

const addWatch: CliCommand = {
  usage: '[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
  spec: { flags: '', withValue: 'm' },
  async run(ctx, parsed) {
    if (parsed.args.length !== 2) throw usageError('addWatch', this);
    const modeText = parsed.options.get('m');
    const mode = typeof modeText === 'string' ? modeText.toUpperCase() : 'PERSISTENT_RECURSIVE';
    if (mode !== 'PERSISTENT' && mode !== 'PERSISTENT_RECURSIVE') throw usageError('addWatch', this);
    await guarded(() => ctx.client.addWatch(parsed.args[1]!, mode));
    ctx.result?.({ path: parsed.args[1]!, mode });
  },
};

const removeWatches: CliCommand = {
  usage: 'path [-c|-d|-a] [-l]',
  spec: { flags: 'cdal', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length < 2) throw usageError('removewatches', this);
    let type: number = WatcherType.Any;
    if (parsed.options.has('c')) type = WatcherType.Children;
    else if (parsed.options.has('d')) type = WatcherType.Data;
    const local = parsed.options.has('l');
    await guarded(() => ctx.client.removeWatches(parsed.args[1]!, type, { local }));
    const typeName = type === WatcherType.Children ? 'Children' : type === WatcherType.Data ? 'Data' : 'Any';
    ctx.result?.({ path: parsed.args[1]!, type: typeName, local });
  },
};

const config: CliCommand = {
  usage: '[-c] [-w] [-s]',
  spec: { flags: 'swc', withValue: '' },
  async run(ctx, parsed) {
    const result = await guarded(() => ctx.client.getConfig(parsed.options.has('w') ? { watch: true } : undefined));
    const text = result.data === null ? 'null' : result.data.toString('utf8');
    ctx.out(parsed.options.has('c') ? clientConfigString(text) : text);
    if (parsed.options.has('s')) printStat(ctx, result.stat);
    const config = parsed.options.has('c') ? { clientConfig: clientConfigString(text) } : { config: result.data === null ? null : text };
    ctx.result?.({ ...config, stat: statJson(result.stat) });
  },
};

const RECONFIG_USAGE =
  '[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]';

/** Long.parseLong(text, 16), or null where Java throws NumberFormatException. */
function parseJavaHexLong(text: string): bigint | null {
  const match = /^([+-]?)([0-9a-fA-F]+)$/.exec(text);
  if (match === null) return null;
  const value = BigInt('0x' + match[2]!) * (match[1] === '-' ? -1n : 1n);
  return value > LONG_MAX || value < -LONG_MAX - 1n ? null : value;
}

/**
 * ReconfigCommand's -file: the file read as java.util.Properties and its membership printed as
 * QuorumMaj.toString (`server.N=host:q:e:role;clientHost:clientPort` lines in id order, then
 * `version=<hex>`, 0 unless the file says otherwise).
 */
function membersFromFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : String(err);
    throw new CliError(`Error processing ${path}${path} (${reason})`);
  }
  const servers = new Map<bigint, string>();
  let version = 0n;
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const sep = /[=:]|[ \t\f]/.exec(line);
    const key = sep === null ? line : line.slice(0, sep.index);
    const value = sep === null ? '' : line.slice(sep.index + 1).replace(/^[ \t\f]*[=:]?[ \t\f]*/, '').trim();
    if (key.startsWith('server.')) {
      const id = key.slice('server.'.length);
      if (!/^\d+$/.test(id)) throw new CliError(`Error processing ${path}For input string: "${id}"`);
      servers.set(BigInt(id), canonicalServer(path, value));
    } else if (key === 'version') {
      const parsed = parseJavaHexLong(value);
      if (parsed === null) throw new CliError(`Error processing ${path}For input string: "${value}"`);
      version = parsed;
    }
  }
  if (servers.size === 0) throw new CliError(`Error processing ${path}No server entries found in dynamic config`);
  const lines = [...servers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, spec]) => `server.${id}=${spec}`);
  return [...lines, `version=${BigInt.asUintN(64, version).toString(16)}`].join('\n');
}

/** QuorumServer's parse and toString of `host:port:port[:role][;[clientHost:]clientPort]`. */
function canonicalServer(path: string, value: string): string {
  const [serverPart = '', clientPart] = value.split(';');
  const parts = serverPart.split(':');
  if (parts.length < 3 || parts.length > 4) throw new CliError(`Error processing ${path}${value} does not have the form server_config or server_config;client_config where server_config is the pipe separated list of host:port:port or host:port:port:type and client_config is port or host:port`);
  const role = parts[3]?.toLowerCase() ?? 'participant';
  if (role !== 'participant' && role !== 'observer') throw new CliError(`Error processing ${path}Unrecognised peertype: ${parts[3]}`);
  let client = '';
  if (clientPart !== undefined) {
    const colon = clientPart.lastIndexOf(':');
    client = colon < 0 ? `;0.0.0.0:${clientPart}` : `;${clientPart}`;
  }
  return `${parts[0]}:${parts[1]}:${parts[2]}:${role}${client}`;
}

const reconfig: CliCommand = {
  usage: RECONFIG_USAGE,
  spec: { flags: 's', withValue: 'v', named: ['file', 'members', 'add', 'remove'] },
  async run(ctx, parsed) {
    const has = (o: string) => parsed.options.has(o);
    const value = (o: string) => {
      const v = parsed.options.get(o);
      return typeof v === 'string' ? v : null;
    };
    if (!(has('file') || has('members')) && !has('add') && !has('remove')) throw usageError('reconfig', this);
    let version = -1n;
    if (has('v')) {
      const parsedVersion = parseJavaHexLong(value('v') ?? '');
      if (parsedVersion === null) throw new CliError('-v must be followed by a long (configuration version)');
      version = parsedVersion;
    }
    if ((has('file') || has('members')) && (has('add') || has('remove'))) {
      throw new CliError(
        "Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)",
      );
    }
    if (has('file') && has('members')) throw new CliError("Can't use -file and -members together (conflicting non-incremental modes)");
    const joining = value('add')?.toLowerCase() ?? null;
    const leaving = value('remove')?.toLowerCase() ?? null;
    let members = value('members')?.toLowerCase() ?? null;
    if (has('file')) members = membersFromFile(value('file') ?? '');
    const result = await guarded(() => ctx.client.reconfig({ joining, leaving, newMembers: members, fromConfig: version }));
    const text = result.data.toString('utf8');
    ctx.out(`Committed new configuration:\n${text}`);
    if (has('s')) printStat(ctx, result.stat);
    ctx.result?.({ config: text, stat: statJson(result.stat) });
  },
};

/** What `version` prints after "ZooKeeper CLI version: ". */
export const CLI_VERSION = '3.8.0-tszk-0.1.0, built for tszk';

const version: CliCommand = {
  usage: '',
  spec: { flags: '', withValue: '' },
  async run(ctx, parsed) {
    if (parsed.args.length > 1) throw usageError('version', this);
    ctx.out(`ZooKeeper CLI version: ${CLI_VERSION}`);
    ctx.result?.({ version: CLI_VERSION });
  },
};

const close: CliCommand = {
  usage: '',
  spec: { flags: '', withValue: '' },
  async run(ctx) {
    await guarded(() => ctx.client.close());
    ctx.result?.({ closed: true });
  },
};

/** Commands whose usage zkCli lists but this CLI does not implement. */
const unsupported = (usage: string): CliCommand => ({
  usage,
  spec: { flags: '', withValue: '' },
  async run(_ctx, parsed) {
    throw new CliError(`${parsed.args[0]} is not supported by tszk zk-cli`, 1, 'UNIMPLEMENTED');
  },
});

/** Every ZooKeeper command of zkCli 3.8, by name. */
export const COMMANDS: ReadonlyMap<string, CliCommand> = new Map<string, CliCommand>([
  ['addWatch', addWatch],
  ['addauth', addAuth],
  ['close', close],
  ['config', config],
  ['create', create],
  ['delete', del],
  ['deleteall', deleteAll],
  ['delquota', unsupported('[-n|-b|-N|-B] path')],
  ['get', get],
  ['getAcl', getAcl],
  ['getAllChildrenNumber', getAllChildrenNumber],
  ['getEphemerals', getEphemerals],
  ['listquota', unsupported('path')],
  ['ls', ls],
  ['reconfig', reconfig],
  ['removewatches', removeWatches],
  ['set', set],
  ['setAcl', setAcl],
  ['setquota', unsupported('-n|-b|-N|-B val path')],
  ['stat', stat],
  ['sync', sync],
  ['version', version],
  ['whoami', whoami],
]);

/** Parses and runs one command; CliParseError becomes a CliError with its message. */
export async function runCommand(ctx: CommandContext, command: CliCommand, tokens: string[]): Promise<void> {
  let parsed: ParsedCommand;
  try {
    parsed = parseOptions(tokens, command.spec);
  } catch (err) {
    if (err instanceof CliParseError) throw new CliError(err.message, 1, 'USAGE');
    throw err;
  }
  await command.run(ctx, parsed, tokens);
}

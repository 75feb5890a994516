// Proves zk-cli's pure pieces print and parse like ZooKeeper 3.8's zkCli: Date.toString dates,
// StatPrinter lines, jute CSV ids, AclParser warnings, CliWrapperException messages, the
// command-line tokenizer and commons-cli option parsing (values, clusters, --, errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aclLines,
  cliErrorMessage,
  clientConfigString,
  javaDate,
  javaList,
  keeperMessage,
  parseAcl,
  permString,
  statLines,
} from '../../src/cli/zk-cli-format.js';
import { CliParseError, parseOptions, parseStartup, splitCommandLine } from '../../src/cli/zk-cli-parse.js';
import { ErrorCode, KeeperError } from '../../src/proto/error-code.js';

test('dates print as java.util.Date.toString in the given zone', () => {
  assert.equal(javaDate(0n, 'UTC'), 'Thu Jan 01 00:00:00 UTC 1970');
  assert.equal(javaDate(1532765649000n, 'UTC'), 'Sat Jul 28 08:14:09 UTC 2018');
  assert.equal(javaDate(1532765649000n, 'America/New_York'), 'Sat Jul 28 04:14:09 EDT 2018');
});

test('StatPrinter lines, with negative longs in two-complement hex', () => {
  const lines = statLines(
    {
      czxid: 0x10n,
      mzxid: 0x11n,
      ctime: 0n,
      mtime: 0n,
      version: 2,
      cversion: -2,
      aversion: -1,
      ephemeralOwner: -0x8000_0000_0000_0000n,
      dataLength: 5,
      numChildren: 1,
      pzxid: 0x12n,
    },
    'UTC',
  );
  assert.deepEqual(lines, [
    'cZxid = 0x10',
    'ctime = Thu Jan 01 00:00:00 UTC 1970',
    'mZxid = 0x11',
    'mtime = Thu Jan 01 00:00:00 UTC 1970',
    'pZxid = 0x12',
    'cversion = -2',
    'dataVersion = 2',
    'aclVersion = -1',
    'ephemeralOwner = 0x8000000000000000',
    'dataLength = 5',
    'numChildren = 1',
  ]);
});

test('ACL output: CSV ids with escapes, permission letters in cdrwa order', () => {
  assert.deepEqual(aclLines({ perms: 31, id: { scheme: 'world', id: 'anyone' } }), ["'world,'anyone", ': cdrwa']);
  assert.deepEqual(aclLines({ perms: 1, id: { scheme: 'digest', id: 'a%}:b,c' } }), ["'digest,'a%25%7D:b%2Cc", ': r']);
  assert.equal(permString(0), '');
  assert.equal(permString(2 | 16), 'wa');
  assert.equal(javaList([]), '[]');
  assert.equal(javaList(['a', 'b']), '[a, b]');
});

test('AclParser: bad entries and unknown letters are reported and skipped', () => {
  const { acl, warnings } = parseAcl('ip:1.2.3.4:cdrwa,bad,world:anyone:rx,auth::');
  assert.deepEqual(acl, [
    { perms: 31, id: { scheme: 'ip', id: '1.2.3.4' } },
    { perms: 1, id: { scheme: 'world', id: 'anyone' } },
    { perms: 0, id: { scheme: 'auth', id: '' } },
  ]);
  assert.deepEqual(warnings, ['bad does not have the form scheme:id:perm', 'Unknown perm type: x']);
  assert.deepEqual(parseAcl(',').acl, []);
});

test('error messages follow CliWrapperException and KeeperException.getMessage', () => {
  assert.equal(cliErrorMessage(new KeeperError(ErrorCode.NONODE, '/a')), 'Node does not exist: /a');
  assert.equal(cliErrorMessage(new KeeperError(ErrorCode.BADVERSION, '/a')), 'version No is not valid : /a');
  assert.equal(cliErrorMessage(new KeeperError(ErrorCode.INVALIDACL)), 'Acl is not valid : null');
  assert.equal(cliErrorMessage(new KeeperError(ErrorCode.NOWATCHER, '/w')), 'KeeperErrorCode = No such watcher for /w');
  assert.equal(keeperMessage(new KeeperError(ErrorCode.INVALIDACL)), 'KeeperErrorCode = InvalidACL');
  assert.equal(keeperMessage(new KeeperError(ErrorCode.SESSIONEXPIRED, '/x')), 'KeeperErrorCode = Session expired for /x');
  assert.equal(keeperMessage(new KeeperError(ErrorCode.REQUESTTIMEOUT)), 'KeeperErrorCode = Unknown error -122');
});

test('config -c lists client addresses after the version', () => {
  const config = 'server.1=a:2888:3888:participant;0.0.0.0:2181\nserver.2=b:2888:3888;2182\nversion=100000000\n';
  // In java.util.Properties' iteration order, as zkCli.sh prints it: server.2 before server.1
  // (proven against a real ensemble in test/compat/zkcli-reconfig.test.ts).
  assert.equal(clientConfigString(config), '100000000 0.0.0.0:2182,0.0.0.0:2181');
  assert.equal(clientConfigString(''), ' ');
});

test('command lines split on blanks; quotes group words and are stripped', () => {
  assert.deepEqual(splitCommandLine('create /a "hello world"'), ['create', '/a', 'hello world']);
  assert.deepEqual(splitCommandLine("  set /a 'x y'  z "), ['set', '/a', 'x y', 'z']);
  assert.deepEqual(splitCommandLine('get "unclosed'), ['get', 'unclosed']);
  assert.deepEqual(splitCommandLine('   '), []);
});

test('options parse as commons-cli DefaultParser does', () => {
  const spec = { flags: 'sw', withValue: 'v' };
  assert.deepEqual(parseOptions(['set', '-v', '-1', '/a', 'x'], spec), { options: new Map([['v', '-1']]), args: ['set', '/a', 'x'] });
  assert.deepEqual(parseOptions(['get', '/a', '-sw'], spec).options, new Map([['s', true], ['w', true]]));
  assert.deepEqual(parseOptions(['set', '-v5', '/a'], spec).options, new Map([['v', '5']]));
  assert.deepEqual(parseOptions(['ls', '--', '-s'], spec).args, ['ls', '-s']);
  assert.throws(() => parseOptions(['get', '-x', '/a'], spec), {
    message: 'org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x',
  });
  assert.throws(() => parseOptions(['set', '-v'], spec), {
    message: 'org.apache.commons.cli.MissingArgumentException: Missing argument for option: v',
  });
  assert.throws(() => parseOptions(['set', '-v', '-s'], spec), CliParseError);
  assert.throws(() => parseOptions(['get', '--foo'], spec), /Unrecognized option: --foo/);
});

test('startup flags: -server, -timeout, -r, and the command after them', () => {
  assert.deepEqual(parseStartup(['-server', 'h:1', '-r', 'ls', '-s', '/']), {
    server: 'h:1',
    timeoutMs: '30000',
    readOnly: true,
    waitForConnection: false,
    clientConfiguration: null,
    command: ['ls', '-s', '/'],
    json: false,
    terminal: false,
  });
  const tszkFlags = parseStartup(['--json', '--terminal', '-server', 'h:1', 'get', '/a']) as { json: boolean; terminal: boolean; command: string[] };
  assert.deepEqual([tszkFlags.json, tszkFlags.terminal, tszkFlags.command], [true, true, ['get', '/a']]);
  assert.equal((parseStartup([]) as { server: string }).server, 'localhost:2181');
  assert.deepEqual(parseStartup(['-server']), { error: 'Error: no argument found for option -server' });
});

/**
 * Client-side znode path rules (the Java client's PathUtils), so a bad path fails before it is
 * sent, with the same message zkCli prints, and chroot handling: the server never sees the
 * client's view of the tree, only `chroot + path`.
 */
import { ErrorCode, KeeperError } from '../proto/error-code.js';

/** A path or argument the client refused to send: code BADARGUMENTS, Java's message text. */
export class InvalidArgumentError extends KeeperError {
  override name = 'InvalidArgumentError';

  constructor(message: string, path?: string) {
    super(ErrorCode.BADARGUMENTS, path);
    this.message = message;
  }
}

function isInvalidChar(code: number): boolean {
  return (
    (code > 0x0000 && code <= 0x001f) ||
    (code >= 0x007f && code <= 0x009f) ||
    (code >= 0xd800 && code <= 0xf8ff) ||
    (code >= 0xfff0 && code <= 0xffff)
  );
}

/** Why `path` is not a valid znode path (checked per UTF-16 code unit, as Java does), or null. */
function invalidReason(path: string): string | null {
  let last = '/';
  for (let i = 1; i < path.length; last = path[i]!, i++) {
    const c = path[i]!;
    const next = path[i + 1];
    const endsComponent = next === undefined || next === '/';
    if (c === '\0') return `null character not allowed @${i}`;
    if (c === '/' && last === '/') return `empty node name specified @${i}`;
    if (c === '.' && last === '.') {
      if (path[i - 2] === '/' && endsComponent) return `relative paths not allowed @${i}`;
    } else if (c === '.') {
      if (path[i - 1] === '/' && endsComponent) return `relative paths not allowed @${i}`;
    } else if (isInvalidChar(c.charCodeAt(0))) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

/**
 * Throws InvalidArgumentError unless `path` is a valid znode path. A sequential create is
 * checked as `path + "1"`, so `/a/` is a valid sequential prefix.
 */
export function validatePath(path: string, sequential = false): void {
  if (typeof path !== 'string') throw new InvalidArgumentError('Path cannot be null');
  const checked = sequential ? path + '1' : path;
  if (checked.length === 0) throw new InvalidArgumentError('Path length must be > 0');
  if (checked[0] !== '/') throw new InvalidArgumentError('Path must start with / character');
  if (checked.length === 1) return;
  if (checked.endsWith('/')) throw new InvalidArgumentError('Path must not end with / character');
  const reason = invalidReason(checked);
  if (reason !== null) throw new InvalidArgumentError(`Invalid path string "${checked}" caused by ${reason}`, path);
}

/** The server path for a client path under `chroot` (null: no chroot). */
export function prependChroot(chroot: string | null, clientPath: string): string {
  if (chroot === null) return clientPath;
  return clientPath === '/' ? chroot : chroot + clientPath;
}

/**
 * The client path for a server path under `chroot`. A path outside the chroot (for example
 * /zookeeper/config) is returned unchanged rather than cut at an arbitrary offset.
 */
export function stripChroot(chroot: string | null, serverPath: string): string {
  if (chroot === null) return serverPath;
  if (serverPath === chroot) return '/';
  if (serverPath.startsWith(chroot + '/')) return serverPath.slice(chroot.length);
  return serverPath;
}

/**
 * Turns `create` options into what goes on the wire: flags, op code and TTL, checked the way
 * the Java client checks them before sending (CreateMode.fromFlag, EphemeralType.validateTTL,
 * validateACL).
 */
import type { Acl } from '../proto/data.js';
import { CreateFlags, createModeOf, type CreateMode } from '../proto/defs.js';
import { ErrorCode, KeeperError } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import { InvalidArgumentError } from './paths.js';
import type { CreateModeName, CreateOptions } from './types.js';

/** EphemeralType.TTL's largest value: 40 bits of milliseconds. */
export const TTL_MS_MAX = 0xff_ffff_ffffn;

/** A create request's mode, op code and TTL. */
export interface ResolvedCreate {
  readonly flags: number;
  readonly mode: CreateMode;
  readonly opCode: number;
  /** -1n when the mode has no TTL. */
  readonly ttl: bigint;
}

const flagNames = new Map<number, CreateModeName>(
  (Object.entries(CreateFlags) as [CreateModeName, number][]).map(([name, flag]) => [flag, name]),
);

/** The CreateMode name of `flags` (as Java prints it), or the number itself. */
export function createModeName(flags: number): string {
  return flagNames.get(flags) ?? String(flags);
}

function flagsOf(mode: CreateModeName | number | undefined): number {
  if (mode === undefined) return CreateFlags.PERSISTENT;
  if (typeof mode === 'number') return mode;
  const flags = (CreateFlags as Record<string, number>)[mode];
  if (flags === undefined) throw new InvalidArgumentError(`Unknown CreateMode: ${mode}`);
  return flags;
}

/**
 * Resolves `options` for a create. `withStat` selects create2 (op 15) over create (op 1) for
 * plain modes; containers always use createContainer and TTL modes createTTL.
 */
export function resolveCreate(options: CreateOptions, withStat: boolean): ResolvedCreate {
  const flags = flagsOf(options.mode);
  const mode = createModeOf(flags);
  if (mode === undefined) {
    throw new InvalidArgumentError(`Received an invalid flag value: ${flags} to convert to a CreateMode`);
  }
  const ttl = options.ttl === undefined ? -1n : BigInt(options.ttl);
  if (mode.ttl) {
    if (ttl <= 0n || ttl > TTL_MS_MAX) {
      throw new InvalidArgumentError(`ttl must be positive and cannot be larger than: ${TTL_MS_MAX}`);
    }
  } else if (ttl >= 0n) {
    throw new InvalidArgumentError(`ttl not valid for mode: ${createModeName(flags)}`);
  }
  let opCode: number = withStat ? OpCode.create2 : OpCode.create;
  if (mode.container) opCode = OpCode.createContainer;
  if (mode.ttl) opCode = OpCode.createTTL;
  return { flags, mode, opCode, ttl };
}

/** Java's validateACL: a null or empty ACL list is refused before sending. */
export function validateAcl(acl: readonly Acl[] | null | undefined): asserts acl is readonly Acl[] {
  if (acl === null || acl === undefined || acl.length === 0) throw new KeeperError(ErrorCode.INVALIDACL);
}

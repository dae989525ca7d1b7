// Checks of what callers hand the offset store. A bad value is a bug in the caller, so it gets a TypeError
// or RangeError naming the argument and the value, before anything is written. Accepted values are copied
// and frozen: the store keeps them and shares them with readers, so neither side may change them later.
import type { CommittedOffset, StoredGroup, StoredGroupMember } from './types.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Kafka strings carry at most 32767 bytes of UTF-8 (int16 length); the file format keeps that limit. */
const MAX_STRING_BYTES = 0x7fff;

function show(value: unknown): string {
  return typeof value === 'bigint'
    ? `${value}n`
    : typeof value === 'string'
      ? JSON.stringify(value)
      : String(value);
}

export function checkString(where: string, value: unknown, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new TypeError(`${where} must be a string, got ${show(value)}`);
  if (options.nonEmpty && value.length === 0) throw new RangeError(`${where} must not be empty`);
  if (value.length > MAX_STRING_BYTES / 3 && Buffer.byteLength(value) > MAX_STRING_BYTES) {
    throw new RangeError(
      `${where} is ${Buffer.byteLength(value)} bytes of UTF-8; at most ${MAX_STRING_BYTES}`,
    );
  }
  return value;
}

function checkNullableString(where: string, value: unknown): string | null {
  return value === null ? null : checkString(where, value);
}

function checkInt32(where: string, value: unknown, min = -(2 ** 31)): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new RangeError(`${where} must be an integer in [${min}, ${2 ** 31 - 1}], got ${show(value)}`);
  }
  return value;
}

export function checkPartition(where: string, value: unknown): number {
  return checkInt32(where, value, 0);
}

function checkInt64(where: string, value: unknown): bigint {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw new RangeError(`${where} must be a bigint in the int64 range, got ${show(value)}`);
  }
  return value;
}

function checkBytes(where: string, value: unknown): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${where} must be a Buffer, got ${show(value)}`);
  return Buffer.from(value); // a copy
}

export function checkOffset(where: string, value: CommittedOffset | undefined): CommittedOffset {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${where} must be an object`);
  return Object.freeze({
    offset: checkInt64(`${where}.offset`, value.offset),
    leaderEpoch: checkInt32(`${where}.leaderEpoch`, value.leaderEpoch, -1),
    metadata: checkNullableString(`${where}.metadata`, value.metadata),
    commitTimestampMs: checkInt64(`${where}.commitTimestampMs`, value.commitTimestampMs),
  });
}

export function checkGroup(where: string, group: StoredGroup | null): StoredGroup | null {
  if (group === null) return null;
  if (typeof group !== 'object') throw new TypeError(`${where} must be an object or null`);
  if (!Array.isArray(group.members)) throw new TypeError(`${where}.members must be an array`);
  const members = group.members.map((m, i) => checkMember(`${where}.members[${i}]`, m));
  return Object.freeze({
    protocolType: checkNullableString(`${where}.protocolType`, group.protocolType),
    protocolName: checkNullableString(`${where}.protocolName`, group.protocolName),
    generationId: checkInt32(`${where}.generationId`, group.generationId),
    leaderId: checkNullableString(`${where}.leaderId`, group.leaderId),
    members: Object.freeze(members) as StoredGroupMember[],
  });
}

function checkMember(where: string, m: StoredGroupMember): StoredGroupMember {
  if (typeof m !== 'object' || m === null) throw new TypeError(`${where} must be an object`);
  return Object.freeze({
    memberId: checkString(`${where}.memberId`, m.memberId),
    groupInstanceId: checkNullableString(`${where}.groupInstanceId`, m.groupInstanceId),
    clientId: checkString(`${where}.clientId`, m.clientId),
    clientHost: checkString(`${where}.clientHost`, m.clientHost),
    sessionTimeoutMs: checkInt32(`${where}.sessionTimeoutMs`, m.sessionTimeoutMs),
    rebalanceTimeoutMs: checkInt32(`${where}.rebalanceTimeoutMs`, m.rebalanceTimeoutMs),
    subscription: checkBytes(`${where}.subscription`, m.subscription),
    assignment: checkBytes(`${where}.assignment`, m.assignment),
  });
}

/** Freezes what replay decoded (it was checked when written, and its checksum holds). */
export function freezeGroup(group: StoredGroup): StoredGroup {
  for (const m of group.members) Object.freeze(m);
  Object.freeze(group.members);
  return Object.freeze(group);
}

/** `value` when it is an object, else a TypeError naming `where[index]`. */
export function objectAt<T>(where: string, value: T, index: number): T {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${where}[${index}] must be an object`);
  return value;
}

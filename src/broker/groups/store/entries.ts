// The entries of the offset store's file (format in docs/storage.md, "Committed offsets and group
// metadata"). Each entry is framed as
//
//   int32 length   bytes that follow: 4 (crc) + 1 (type) + payload
//   uint32 crc     CRC-32C of type and payload
//   int8 type      0 header, 1 offsets, 2 deleteOffsets, 3 deleteTopic, 4 group
//   payload        Kafka primitives (big-endian ints, compact strings, int32-length bytes)
//
// Binary rather than JSON: offsets and timestamps are int64 (JSON numbers lose them past 2^53), member
// metadata is bytes (base64 would cost a third more space and a transcoding per entry), the commit path
// encodes one small entry per OffsetCommit, and the protocol's own Writer/Reader already encode and bounds-
// check these primitives.
import { crc32c } from '../../../protocol/crc32c.ts';
import { Reader } from '../../../protocol/reader.ts';
import { Writer } from '../../../protocol/writer.ts';
import type {
  CommittedOffset,
  StoreEntry,
  StoredGroup,
  StoredGroupMember,
  TopicPartitionRef,
} from './types.ts';

export const STORE_FORMAT_VERSION = 1;
export const STORE_MAGIC = 'sluice-offset-store';
/** Bytes before the payload: length, crc, type. */
export const FRAME_OVERHEAD = 9;
/** The largest entry (frame included) written or accepted on replay: a bound for corrupt length fields. */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

export const EntryType = { header: 0, offsets: 1, deleteOffsets: 2, deleteTopic: 3, group: 4 } as const;
const TYPE_CODES: Record<StoreEntry['type'], number> = EntryType;

export interface StoreHeader {
  formatVersion: number;
  createdAtMs: bigint;
}

/** The framed bytes of one entry. */
export function encodeEntry(entry: StoreEntry): Buffer {
  const w = beginFrame(TYPE_CODES[entry.type]);
  switch (entry.type) {
    case 'offsets':
      w.compactString(entry.group);
      writeOffsets(w, entry.offsets);
      break;
    case 'deleteOffsets':
      w.compactString(entry.group);
      writePartitionRefs(w, entry.partitions);
      break;
    case 'deleteTopic':
      w.compactString(entry.topic);
      break;
    case 'group':
      w.compactString(entry.groupId);
      writeGroup(w, entry.group);
      break;
  }
  return endFrame(w);
}

export function encodeHeader(createdAtMs: bigint): Buffer {
  const w = beginFrame(EntryType.header);
  w.compactString(STORE_MAGIC);
  w.int16(STORE_FORMAT_VERSION);
  w.int64(createdAtMs);
  return endFrame(w);
}

function beginFrame(type: number): Writer {
  const w = new Writer(128);
  w.int32(0); // length, set by endFrame
  w.uint32(0); // crc, set by endFrame
  w.int8(type);
  return w;
}

function endFrame(w: Writer): Buffer {
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeUInt32BE(crc32c(frame.subarray(8)), 4);
  return frame;
}

/** Whether `frame` (length field first) carries a good checksum. */
export function checksumOk(frame: Buffer): boolean {
  return frame.readUInt32BE(4) === crc32c(frame.subarray(8));
}

/** Decodes the type and payload of a checksummed frame; throws on anything malformed. */
export function decodeEntry(frame: Buffer): StoreEntry | StoreHeader {
  const r = new Reader(frame, 8);
  const type = r.int8();
  let entry: StoreEntry | StoreHeader;
  switch (type) {
    case EntryType.header: {
      const magic = r.compactString('magic');
      if (magic !== STORE_MAGIC) throw new Error(`magic is "${magic}", not "${STORE_MAGIC}"`);
      entry = { formatVersion: r.int16(), createdAtMs: r.int64() };
      break;
    }
    case EntryType.offsets:
      entry = { type: 'offsets', group: r.compactString('group'), offsets: readOffsets(r) };
      break;
    case EntryType.deleteOffsets:
      entry = { type: 'deleteOffsets', group: r.compactString('group'), partitions: readPartitionRefs(r) };
      break;
    case EntryType.deleteTopic:
      entry = { type: 'deleteTopic', topic: r.compactString('topic') };
      break;
    case EntryType.group:
      entry = { type: 'group', groupId: r.compactString('groupId'), group: readGroup(r) };
      break;
    default:
      throw new Error(`unknown entry type ${type}`);
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} byte(s) after the entry's payload`);
  return entry;
}

// Offsets are grouped by topic so a commit of many partitions of one topic names it once.
function writeOffsets(
  w: Writer,
  offsets: readonly { topic: string; partition: number; value: CommittedOffset }[],
) {
  const byTopic = new Map<string, { partition: number; value: CommittedOffset }[]>();
  for (const { topic, partition, value } of offsets) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ partition, value });
  }
  w.int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.compactString(topic);
    w.int32(list.length);
    for (const { partition, value } of list) {
      w.int32(partition);
      w.int64(value.offset);
      w.int32(value.leaderEpoch);
      w.compactNullableString(value.metadata);
      w.int64(value.commitTimestampMs);
    }
  }
}

function readOffsets(r: Reader): { topic: string; partition: number; value: CommittedOffset }[] {
  const out: { topic: string; partition: number; value: CommittedOffset }[] = [];
  for (let t = count(r, 'topics'); t > 0; t--) {
    const topic = r.compactString('topic');
    for (let p = count(r, 'partitions'); p > 0; p--) {
      const partition = r.int32();
      const value = {
        offset: r.int64(),
        leaderEpoch: r.int32(),
        metadata: r.compactNullableString('metadata'),
        commitTimestampMs: r.int64(),
      };
      out.push({ topic, partition, value });
    }
  }
  return out;
}

// -1 topics: every offset of the group.
function writePartitionRefs(w: Writer, refs: readonly TopicPartitionRef[] | undefined): void {
  if (refs === undefined) {
    w.int32(-1);
    return;
  }
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of refs) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  w.int32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    w.compactString(topic);
    w.int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
}

function readPartitionRefs(r: Reader): TopicPartitionRef[] | undefined {
  const topics = r.int32();
  if (topics === -1) return undefined;
  if (topics < 0) throw new Error(`negative topic count ${topics}`);
  const out: TopicPartitionRef[] = [];
  for (let t = topics; t > 0; t--) {
    const topic = r.compactString('topic');
    for (let p = count(r, 'partitions'); p > 0; p--) out.push({ topic, partition: r.int32() });
  }
  return out;
}

// int8 0 = the group is gone (a tombstone), 1 = metadata follows.
function writeGroup(w: Writer, group: StoredGroup | null): void {
  if (group === null) {
    w.int8(0);
    return;
  }
  w.int8(1);
  w.compactNullableString(group.protocolType);
  w.compactNullableString(group.protocolName);
  w.int32(group.generationId);
  w.compactNullableString(group.leaderId);
  w.int32(group.members.length);
  for (const m of group.members) {
    w.compactString(m.memberId);
    w.compactNullableString(m.groupInstanceId);
    w.compactString(m.clientId);
    w.compactString(m.clientHost);
    w.int32(m.sessionTimeoutMs);
    w.int32(m.rebalanceTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
}

function readGroup(r: Reader): StoredGroup | null {
  const present = r.int8();
  if (present === 0) return null;
  if (present !== 1) throw new Error(`group presence flag is ${present}`);
  const group: StoredGroup = {
    protocolType: r.compactNullableString('protocolType'),
    protocolName: r.compactNullableString('protocolName'),
    generationId: r.int32(),
    leaderId: r.compactNullableString('leaderId'),
    members: [],
  };
  for (let n = count(r, 'members'); n > 0; n--) {
    const member: StoredGroupMember = {
      memberId: r.compactString('memberId'),
      groupInstanceId: r.compactNullableString('groupInstanceId'),
      clientId: r.compactString('clientId'),
      clientHost: r.compactString('clientHost'),
      sessionTimeoutMs: r.int32(),
      rebalanceTimeoutMs: r.int32(),
      // Copies: the views would keep the whole replay chunk alive.
      subscription: Buffer.from(r.bytes('subscription')),
      assignment: Buffer.from(r.bytes('assignment')),
    };
    group.members.push(member);
  }
  return group;
}

function count(r: Reader, what: string): number {
  const n = r.int32();
  // Every element takes at least one byte, so a count beyond the bytes left is corrupt.
  if (n < 0 || n > r.remaining) throw new Error(`${what} count ${n} is impossible here`);
  return n;
}

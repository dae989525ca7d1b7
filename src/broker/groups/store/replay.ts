// Reading the offset store's file on open: the header must be whole and of a version this code reads
// (anything else refuses to start, naming the file, rather than guess); then entries are applied in order
// until the end of the file or the first entry that is torn (runs past the end), has an impossible length,
// fails its CRC-32C or does not decode. Everything from there on is reported as damage for the caller to
// truncate: after a crash that is a torn tail; anywhere else it is media corruption.
import type { LogFile } from '../../log/fs.ts';
import { OffsetStoreFormatError } from './errors.ts';
import {
  FRAME_OVERHEAD,
  MAX_ENTRY_BYTES,
  STORE_FORMAT_VERSION,
  checksumOk,
  decodeEntry,
  type StoreHeader,
} from './entries.ts';
import { OffsetState } from './state.ts';
import type { StoreEntry } from './types.ts';
import { freezeGroup } from './validate.ts';

const READ_WINDOW_BYTES = 1024 * 1024;

export interface Damage {
  /** Where the first bad entry starts: the file is good up to here. */
  position: number;
  reason: string;
}

export interface ReplayResult {
  state: OffsetState;
  header: StoreHeader;
  /** Entries applied (the header not counted). */
  entries: number;
  /** Bytes of good entries, header included. */
  validBytes: number;
  fileBytes: number;
  damage: Damage | undefined;
}

export async function replayStore(file: LogFile): Promise<ReplayResult> {
  const fileBytes = await file.size();
  const reader = new WindowReader(file, fileBytes);
  const first = await readFrame(reader, 0);
  if (typeof first === 'string') throw formatError(file.path, `its header ${first}`);
  let header: StoreHeader;
  try {
    header = decodeEntry(first) as StoreHeader;
  } catch (err) {
    throw formatError(file.path, `its header does not decode (${(err as Error).message})`);
  }
  if (!('formatVersion' in header)) throw formatError(file.path, 'it does not start with a header');
  if (header.formatVersion !== STORE_FORMAT_VERSION) {
    throw new OffsetStoreFormatError(
      `${file.path} has offset store format version ${header.formatVersion}; this broker reads version ` +
        `${STORE_FORMAT_VERSION}. Refusing to start rather than misread it.`,
    );
  }

  const state = new OffsetState();
  let position = first.length;
  let entries = 0;
  let damage: Damage | undefined;
  while (position < fileBytes) {
    const frame = await readFrame(reader, position);
    if (typeof frame === 'string') {
      damage = { position, reason: frame };
      break;
    }
    let entry: StoreEntry;
    try {
      const decoded = decodeEntry(frame);
      if (!('type' in decoded)) throw new Error('a second header');
      entry = decoded;
    } catch (err) {
      damage = { position, reason: `entry does not decode: ${(err as Error).message}` };
      break;
    }
    state.apply(freezeEntry(entry), frame.length);
    entries += 1;
    position += frame.length;
  }
  return { state, header, entries, validBytes: position, fileBytes, damage };
}

/** Replayed values are shared with readers like accepted ones, so they are frozen the same way. */
function freezeEntry(entry: StoreEntry): StoreEntry {
  if (entry.type === 'offsets') for (const o of entry.offsets) Object.freeze(o.value);
  if (entry.type === 'group' && entry.group) freezeGroup(entry.group);
  return entry;
}

function formatError(path: string, problem: string): OffsetStoreFormatError {
  return new OffsetStoreFormatError(
    `${path} is not a readable offset store: ${problem}. Refusing to start: restore the file, or move it ` +
      `away to start with no committed offsets and no group metadata.`,
  );
}

/** The whole checksummed frame at `position`, or why there is none. */
async function readFrame(reader: WindowReader, position: number): Promise<Buffer | string> {
  const prefix = await reader.bytes(position, 4);
  if (!prefix) return `is torn: ${reader.size - position} byte(s) where a 4-byte length belongs`;
  const length = prefix.readInt32BE(0);
  if (length < FRAME_OVERHEAD - 4 || length + 4 > MAX_ENTRY_BYTES)
    return `has an impossible length ${length}`;
  const frame = await reader.bytes(position, 4 + length);
  if (!frame)
    return `is torn: ${4 + length} bytes long but only ${reader.size - position} remain in the file`;
  if (!checksumOk(frame)) return 'fails its CRC-32C';
  return frame;
}

/** Reads a file front to back through a window of about a megabyte. */
class WindowReader {
  readonly size: number;
  readonly #file: LogFile;
  #window = Buffer.alloc(0);
  #start = 0;

  constructor(file: LogFile, size: number) {
    this.#file = file;
    this.size = size;
  }

  /** `length` bytes at `position`, or undefined when the file ends first. */
  async bytes(position: number, length: number): Promise<Buffer | undefined> {
    if (position + length > this.size) return undefined;
    const offset = position - this.#start;
    if (offset >= 0 && offset + length <= this.#window.length)
      return this.#window.subarray(offset, offset + length);
    const window = Buffer.allocUnsafe(Math.min(this.size - position, Math.max(length, READ_WINDOW_BYTES)));
    const n = await this.#file.read(window, position);
    if (n < length) return undefined; // the file shrank under us
    this.#window = window.subarray(0, n);
    this.#start = position;
    return this.#window.subarray(0, length);
  }
}

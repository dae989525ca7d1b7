// The event and log envelopes of one stream, written straight into the publisher's batch in pieces: the
// same bytes as encodeEnvelope (docs/wire-format.md), without building the envelope's text per record.
// What is constant per stream, per type or level, or per millisecond is encoded once and copied; only the
// caller's strings (key or message, payload or fields, as JSON) are measured and written per record.
// Buffer from its module: the global `Buffer` is a getter on globalThis, called on every use in hot code.
import { Buffer } from 'node:buffer';
import { decimalDigits, writeDecimal, writeString, type ValueWriter } from '../publisher/record-encoding.ts';
import { envelopePrefix, type LogLevel } from './envelope.ts';

/** Event types whose pieces are kept (a service uses a handful; the cache is cleared when full). */
const MAX_TYPES = 1024;
/** Strings up to this length are looked at here for whether JSON needs to escape them. */
const MAX_SCANNED = 64;
const PAYLOAD = Buffer.from(',"payload":');
const FIELDS = Buffer.from(',"fields":');
const QUOTE = 0x22;
const CLOSE = 0x7d; // `}`: closes data, then the envelope

/** True when JSON.stringify(s) is s in quotes, all ASCII: printable, no `"` and no `\`. */
function plainAscii(s: string): boolean {
  if (s.length > MAX_SCANNED) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return false;
  }
  return true;
}

/**
 * One envelope, as
 *   head    `{"v":1,"kind":…,"service":…,"producer":…,"stream":…,"seq":`   per (stream, kind)
 *   seq     its digits
 *   mark    `,"ts":<ts>,"data":{"type":<type>,"key":` (or without `,"key":` for an event without one),
 *           or `,"ts":<ts>,"data":{"level":<level>,"message":`               per type or level, per ms
 *   first   the key's or the message's JSON ('' for an event without a key)
 *   mid     `,"payload":` | `,"fields":`
 *   second  the payload's JSON, or the fields'
 *   `}}`
 * A plain ASCII `first` is kept as it is and written between quotes: no JSON.stringify, no measuring.
 */
export class EnvelopeValue implements ValueWriter {
  readonly byteLength: number;
  readonly #head: Buffer;
  readonly #seq: number;
  readonly #seqDigits: number;
  readonly #mark: Buffer;
  readonly #first: string;
  readonly #firstBytes: number;
  readonly #quoted: boolean;
  readonly #mid: Buffer;
  readonly #second: string;
  readonly #secondBytes: number;

  /** `first` is the JSON text of a string, or (quoted) a plainAscii string to be written in quotes. */
  constructor(
    head: Buffer,
    seq: number,
    mark: Buffer,
    first: string,
    quoted: boolean,
    mid: Buffer,
    second: string,
  ) {
    this.#head = head;
    this.#seq = seq;
    this.#seqDigits = decimalDigits(seq);
    this.#mark = mark;
    this.#first = first;
    this.#quoted = quoted;
    this.#firstBytes = quoted ? first.length : Buffer.byteLength(first, 'utf8');
    this.#mid = mid;
    this.#second = second;
    this.#secondBytes = Buffer.byteLength(second, 'utf8');
    this.byteLength =
      head.length +
      this.#seqDigits +
      mark.length +
      (quoted ? first.length + 2 : this.#firstBytes) +
      mid.length +
      this.#secondBytes +
      2;
  }

  writeTo(buf: Buffer, pos: number): number {
    buf.set(this.#head, pos);
    pos = writeDecimal(buf, pos + this.#head.length, this.#seq, this.#seqDigits);
    buf.set(this.#mark, pos);
    pos += this.#mark.length;
    if (this.#quoted) {
      buf[pos++] = QUOTE;
      pos = writeString(buf, pos, this.#first, this.#firstBytes);
      buf[pos++] = QUOTE;
    } else pos = writeString(buf, pos, this.#first, this.#firstBytes);
    buf.set(this.#mid, pos);
    pos += this.#mid.length;
    pos = writeString(buf, pos, this.#second, this.#secondBytes);
    buf[pos++] = CLOSE;
    buf[pos++] = CLOSE;
    return pos;
  }

  /** The whole envelope in a Buffer of its own. */
  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.byteLength);
    this.writeTo(buf, 0);
    return buf;
  }
}

/** The `mark` of one type or level: its text after the timestamp, and the bytes for the last ts seen. */
interface Mark {
  readonly data: string;
  ts: number;
  bytes: Buffer;
}

function markAt(mark: Mark, ts: number): Buffer {
  if (mark.ts !== ts) {
    mark.ts = ts;
    mark.bytes = Buffer.from(`,"ts":${ts},"data":${mark.data}`);
  }
  return mark.bytes;
}

/** Makes the EnvelopeValues of one (service, producer, stream), keeping the pieces they share. */
export class EnvelopeEncoder {
  readonly #eventHead: Buffer;
  readonly #logHead: Buffer;
  readonly #levels = new Map<LogLevel, Mark>();
  #keyed = new Map<string, Mark>();
  #unkeyed = new Map<string, Mark>();

  constructor(service: string, producer: string, stream: string) {
    this.#eventHead = Buffer.from(envelopePrefix('event', service, producer, stream));
    this.#logHead = Buffer.from(envelopePrefix('log', service, producer, stream));
  }

  /** An event envelope; `payload` is the payload's JSON text. */
  event(seq: number, ts: number, type: string, key: string | undefined, payload: string): EnvelopeValue {
    const marks = key === undefined ? this.#unkeyed : this.#keyed;
    let mark = marks.get(type);
    if (mark === undefined) {
      if (marks.size >= MAX_TYPES) marks.clear();
      const data = `{"type":${JSON.stringify(type)}${key === undefined ? '' : ',"key":'}`;
      mark = { data, ts: Number.NaN, bytes: Buffer.alloc(0) };
      marks.set(type, mark);
    }
    const bytes = markAt(mark, ts);
    if (key === undefined) return new EnvelopeValue(this.#eventHead, seq, bytes, '', false, PAYLOAD, payload);
    const plain = plainAscii(key);
    return new EnvelopeValue(
      this.#eventHead,
      seq,
      bytes,
      plain ? key : JSON.stringify(key),
      plain,
      PAYLOAD,
      payload,
    );
  }

  /** A log envelope; `fields` is the fields' JSON text. */
  log(seq: number, ts: number, level: LogLevel, message: string, fields: string): EnvelopeValue {
    let mark = this.#levels.get(level);
    if (mark === undefined) {
      mark = { data: `{"level":${JSON.stringify(level)},"message":`, ts: Number.NaN, bytes: Buffer.alloc(0) };
      this.#levels.set(level, mark);
    }
    const plain = plainAscii(message);
    return new EnvelopeValue(
      this.#logHead,
      seq,
      markAt(mark, ts),
      plain ? message : JSON.stringify(message),
      plain,
      FIELDS,
      fields,
    );
  }
}

// Shapes shared by the generated message modules (src/protocol/messages/) and their users: the codec
// of one message, the pair that makes an API, and the schema descriptor each message carries so that
// tests and tools can walk its fields without Kafka's JSON files.
import type { Reader, UnknownTag } from './reader.ts';
import type { Writer } from './writer.ts';

export type { UnknownTag };

/** Inclusive [min, max] version range; an open-ended "N+" is closed at the message's highest version. */
export type VersionRange = readonly [min: number, max: number];

export type PrimitiveKind =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'uint32'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

/**
 * The value a field has in versions where it is absent from the wire: a number, bigint, boolean,
 * string or null as decoded; [] for arrays; an empty Buffer for bytes; undefined for a struct whose
 * default is itself made of its fields' defaults.
 */
export type FieldDefault = number | bigint | boolean | string | null | readonly [] | Buffer | undefined;

export interface FieldSchema {
  /** Property name in the generated interface (camelCase of jsonName). */
  readonly name: string;
  /** Name in Kafka's message definition. */
  readonly jsonName: string;
  /** Type as Kafka's definition writes it: "int32", "[]int32", "[]TopicData", "Cursor". */
  readonly type: string;
  /** Type of the value, or of each element of an array. */
  readonly kind: PrimitiveKind | 'struct';
  readonly array: boolean;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  /** Only when the field overrides the message's flexible versions (RequestHeader.ClientId: never). */
  readonly flexibleVersions?: VersionRange | null;
  readonly default: FieldDefault;
  /** Generated type name of the struct, for struct fields and arrays of structs. */
  readonly structName?: string;
  readonly fields?: readonly FieldSchema[];
}

export interface MessageSchema {
  /** Kafka's name: "ProduceRequest", "RequestHeader", "ConsumerProtocolAssignment". */
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  readonly fields: readonly FieldSchema[];
}

/** Encoder, decoder and schema of one message. */
export interface MessageCodec<T> {
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (compact encodings and tagged fields from there on), null when never flexible. */
  readonly flexibleMinVersion: number | null;
  // Method syntax on purpose: it makes a codec of a specific message assignable to MessageCodec<unknown>.
  encode(w: Writer, version: number, message: T): void;
  decode(r: Reader, version: number): T;
  readonly schema: MessageSchema;
}

/** One API key: its request and response codecs and the versions Kafka 3.8 defines for it. */
export interface ApiDefinition<Req, Res> {
  readonly apiKey: number;
  /** "Produce", "ApiVersions", ... */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleMinVersion: number | null;
  readonly request: MessageCodec<Req>;
  readonly response: MessageCodec<Res>;
}

export type AnyApiDefinition = ApiDefinition<unknown, unknown>;

// Reads one of Kafka's message definition files (JSON with comments) into a checked model the
// emitter can trust: every field's kind, version ranges, default, and the struct it refers to.
// Anything the generator does not understand is an error naming the file and field, never a guess.
import JSON5 from 'json5';
import { hull, intersect, parseVersions, type Range } from './versions.ts';

export const PRIMITIVES = [
  'int8',
  'int16',
  'int32',
  'int64',
  'uint16',
  'uint32',
  'float64',
  'bool',
  'string',
  'bytes',
  'records',
  'uuid',
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

/**
 * A field's value in versions where it is not on the wire (and a tagged field's "not worth sending"
 * value): `value` carries its JavaScript literal; `empty` is [] or an empty Buffer; `struct` is a
 * struct made of its own fields' defaults.
 */
export type DefaultModel =
  | { readonly kind: 'value'; readonly js: string }
  | { readonly kind: 'null' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'struct' };

export interface FieldModel {
  readonly jsonName: string;
  readonly prop: string;
  readonly type: string;
  readonly kind: Primitive | 'struct';
  readonly array: boolean;
  struct: StructModel | null;
  readonly versions: Range;
  readonly nullable: Range | null;
  readonly tagged: Range | null;
  readonly tag: number | null;
  /** Field-level flexibleVersions override; undefined when the message's apply. */
  readonly flexOverride: Range | null | undefined;
  readonly def: DefaultModel;
  readonly about: string | undefined;
  /** Where the field sits, for error messages: "topicData[].name". */
  path: string;
}

export interface StructModel {
  readonly jsonName: string;
  readonly typeName: string;
  readonly fields: FieldModel[];
  readonly common: boolean;
  /** Versions the struct's own codec can be asked for (hull of every place it is used). */
  ctx: Range | null;
  /** Paths of the fields that hold it ("" for the message itself). */
  readonly uses: string[];
}

export type MessageType = 'request' | 'response' | 'header' | 'data';

export interface MessageModel {
  readonly name: string;
  readonly type: MessageType;
  readonly apiKey: number | null;
  /** validVersions, always closed. */
  readonly valid: Range;
  /** flexibleVersions as written (may be open-ended: versions above the maximum stay flexible). */
  readonly flexible: Range | null;
  readonly root: StructModel;
  /** Every struct, the message itself first, then in the order they appear in the definition. */
  readonly structs: StructModel[];
  readonly sourceFile: string;
}

const TOP_KEYS = new Set([
  'apiKey',
  'type',
  'listeners',
  'name',
  'validVersions',
  'flexibleVersions',
  'fields',
  'latestVersionUnstable',
  'commonStructs',
  'deprecatedVersions',
]);
const FIELD_KEYS = new Set([
  'name',
  'type',
  'versions',
  'nullableVersions',
  'taggedVersions',
  'tag',
  'default',
  'fields',
  'about',
  'mapKey',
  'entityType',
  'ignorable',
  'zeroCopy',
  'flexibleVersions',
]);
const INT_RANGES: Partial<Record<Primitive, [number, number]>> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  int32: [-0x80000000, 0x7fffffff],
  uint16: [0, 0xffff],
  uint32: [0, 0xffffffff],
};
const NULLABLE_KINDS = new Set<string>(['string', 'bytes', 'records', 'struct']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Parses an integer default as Kafka writes them: 5, "-1", "0x7fffffff". */
function parseIntDefault(raw: unknown, what: string): bigint {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string') throw new Error(`${what}: default ${JSON.stringify(raw)} is not an integer`);
  const m = /^(-?)(0x[0-9a-fA-F]+|\d+)$/.exec(text.trim());
  if (!m) throw new Error(`${what}: default ${JSON.stringify(raw)} is not an integer`);
  const magnitude = BigInt(m[2]);
  return m[1] === '-' ? -magnitude : magnitude;
}

function parseDefault(
  raw: unknown,
  kind: Primitive | 'struct',
  array: boolean,
  nullable: boolean,
  what: string,
): DefaultModel {
  if (raw === 'null') {
    if (!nullable) throw new Error(`${what}: default is null but the field is never nullable`);
    return { kind: 'null' };
  }
  if (array) {
    if (raw !== undefined)
      throw new Error(`${what}: arrays can only default to null, got ${JSON.stringify(raw)}`);
    return { kind: 'empty' };
  }
  const intRange = INT_RANGES[kind as Primitive];
  if (intRange) {
    const v = raw === undefined ? 0n : parseIntDefault(raw, what);
    if (v < BigInt(intRange[0]) || v > BigInt(intRange[1]))
      throw new Error(`${what}: default ${v} is out of range for ${kind}`);
    return { kind: 'value', js: String(v) };
  }
  switch (kind) {
    case 'int64': {
      const v = raw === undefined ? 0n : parseIntDefault(raw, what);
      if (v < -(2n ** 63n) || v >= 2n ** 63n)
        throw new Error(`${what}: default ${v} is out of range for int64`);
      return { kind: 'value', js: `${v}n` };
    }
    case 'float64': {
      const v = raw === undefined ? 0 : Number(raw);
      if (!Number.isFinite(v)) throw new Error(`${what}: default ${JSON.stringify(raw)} is not a number`);
      return { kind: 'value', js: String(v) };
    }
    case 'bool':
      if (raw === undefined || raw === false || raw === 'false') return { kind: 'value', js: 'false' };
      if (raw === true || raw === 'true') return { kind: 'value', js: 'true' };
      throw new Error(`${what}: default ${JSON.stringify(raw)} is not a boolean`);
    case 'string':
      if (raw === undefined) return { kind: 'value', js: "''" };
      if (typeof raw !== 'string') throw new Error(`${what}: default ${JSON.stringify(raw)} is not a string`);
      return { kind: 'value', js: JSON.stringify(raw) };
    case 'uuid':
      if (raw !== undefined)
        throw new Error(`${what}: uuid defaults other than the zero UUID are not supported`);
      return { kind: 'value', js: 'ZERO_UUID' };
    case 'bytes':
    case 'records':
      if (raw !== undefined) throw new Error(`${what}: ${kind} can only default to null`);
      return { kind: 'empty' };
    case 'struct':
      if (raw !== undefined) throw new Error(`${what}: structs can only default to null`);
      return { kind: 'struct' };
    default:
      throw new Error(`${what}: no default rule for ${kind}`);
  }
}

/** Builds the model of one definition file's text. */
export function parseMessage(text: string, sourceFile: string): MessageModel {
  const json: unknown = JSON5.parse(text);
  if (!isObject(json)) throw new Error(`${sourceFile}: not a JSON object`);
  for (const key of Object.keys(json)) {
    if (!TOP_KEYS.has(key)) throw new Error(`${sourceFile}: unknown top-level key "${key}"`);
  }
  const name = json.name;
  const type = json.type;
  if (typeof name !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(name))
    throw new Error(`${sourceFile}: bad name`);
  if (type !== 'request' && type !== 'response' && type !== 'header' && type !== 'data') {
    throw new Error(`${sourceFile}: unknown message type ${JSON.stringify(type)}`);
  }
  const valid = parseVersions(json.validVersions, `${sourceFile} validVersions`);
  if (valid === null || valid.max === Infinity)
    throw new Error(`${sourceFile}: validVersions must be a closed range`);
  const flexible = parseVersions(json.flexibleVersions ?? 'none', `${sourceFile} flexibleVersions`);
  let apiKey: number | null = null;
  if (type === 'request' || type === 'response') {
    if (!Number.isInteger(json.apiKey)) throw new Error(`${sourceFile}: ${type} without an integer apiKey`);
    apiKey = json.apiKey as number;
  }

  const structs = new Map<string, StructModel>();
  const commonVersions = new Map<string, Range | null>();
  const pending: { field: FieldModel; elementName: string; where: string }[] = [];

  const buildStruct = (
    jsonName: string,
    typeName: string,
    rawFields: unknown,
    common: boolean,
    where: string,
  ) => {
    if (structs.has(jsonName)) throw new Error(`${where}: struct ${jsonName} is defined more than once`);
    const struct: StructModel = { jsonName, typeName, fields: [], common, ctx: null, uses: [] };
    structs.set(jsonName, struct);
    if (!Array.isArray(rawFields)) throw new Error(`${where}: fields must be an array`);
    const props = new Set<string>();
    const tags = new Set<number>();
    for (const raw of rawFields) {
      const field = buildField(raw, where);
      if (props.has(field.prop))
        throw new Error(`${where}.${field.jsonName}: duplicate property ${field.prop}`);
      props.add(field.prop);
      if (field.tag !== null) {
        if (tags.has(field.tag))
          throw new Error(`${where}.${field.jsonName}: tag ${field.tag} is used twice`);
        tags.add(field.tag);
      }
      struct.fields.push(field);
    }
    return struct;
  };

  const buildField = (raw: unknown, parent: string): FieldModel => {
    if (!isObject(raw) || typeof raw.name !== 'string' || typeof raw.type !== 'string') {
      throw new Error(`${parent}: field without a name and type: ${JSON.stringify(raw)}`);
    }
    const what = `${parent}.${raw.name}`;
    for (const key of Object.keys(raw)) {
      if (!FIELD_KEYS.has(key)) throw new Error(`${what}: unknown field key "${key}"`);
    }
    const array = raw.type.startsWith('[]');
    const element = array ? raw.type.slice(2) : raw.type;
    const isPrimitive = (PRIMITIVES as readonly string[]).includes(element);
    if (!isPrimitive && !/^[A-Z][A-Za-z0-9]*$/.test(element))
      throw new Error(`${what}: unknown type ${raw.type}`);
    const kind: Primitive | 'struct' = isPrimitive ? (element as Primitive) : 'struct';
    if (array && kind === 'records') throw new Error(`${what}: arrays of records are not supported`);
    const versions = parseVersions(raw.versions, `${what} versions`);
    if (versions === null) throw new Error(`${what}: a field needs versions`);
    const nullable = parseVersions(raw.nullableVersions, `${what} nullableVersions`);
    if (nullable !== null && !array && !NULLABLE_KINDS.has(kind))
      throw new Error(`${what}: ${kind} cannot be nullable`);
    const tagged = parseVersions(raw.taggedVersions, `${what} taggedVersions`);
    let tag: number | null = null;
    if (raw.tag !== undefined) {
      tag = typeof raw.tag === 'string' && /^\d+$/.test(raw.tag) ? Number(raw.tag) : (raw.tag as number);
      if (!Number.isInteger(tag) || tag < 0) throw new Error(`${what}: bad tag ${JSON.stringify(raw.tag)}`);
    }
    if ((tag === null) !== (tagged === null)) throw new Error(`${what}: tag and taggedVersions go together`);
    if (tagged !== null) {
      // Kafka allows a field to be tagged in only some of its versions; no 3.8 definition does, and
      // supporting it would make a property optional in some versions and required in others.
      if (tagged.min !== versions.min || tagged.max !== versions.max) {
        throw new Error(
          `${what}: taggedVersions must equal versions (tagged in only some versions is not supported)`,
        );
      }
      if (kind === 'records') throw new Error(`${what}: records cannot be tagged`);
    }
    const flexOverride =
      raw.flexibleVersions === undefined ? undefined : parseVersions(raw.flexibleVersions, what);
    if (flexOverride !== undefined && (array || (kind !== 'string' && kind !== 'bytes'))) {
      throw new Error(`${what}: only string and bytes fields may override flexibleVersions`);
    }
    const field: FieldModel = {
      jsonName: raw.name,
      prop: camelCase(raw.name),
      type: raw.type,
      kind,
      array,
      struct: null,
      versions,
      nullable,
      tagged,
      tag,
      flexOverride,
      def: parseDefault(raw.default, kind, array, nullable !== null, what),
      about: typeof raw.about === 'string' ? raw.about : undefined,
      path: '',
    };
    if (kind === 'struct') {
      if (raw.fields !== undefined) {
        field.struct = buildStruct(element, name + element, raw.fields, false, what);
      } else {
        pending.push({ field, elementName: element, where: what });
      }
    } else if (raw.fields !== undefined) {
      throw new Error(`${what}: a ${kind} field cannot have fields`);
    }
    return field;
  };

  for (const raw of Array.isArray(json.commonStructs) ? json.commonStructs : []) {
    if (!isObject(raw) || typeof raw.name !== 'string')
      throw new Error(`${sourceFile}: common struct without a name`);
    for (const key of Object.keys(raw)) {
      if (key !== 'name' && key !== 'versions' && key !== 'fields') {
        throw new Error(`${sourceFile}: common struct ${raw.name}: unknown key "${key}"`);
      }
    }
    commonVersions.set(raw.name, parseVersions(raw.versions ?? '0+', `${sourceFile} ${raw.name} versions`));
  }
  const root = buildStruct('', name, json.fields, false, `${sourceFile} ${name}`);
  for (const raw of Array.isArray(json.commonStructs) ? json.commonStructs : []) {
    const common = raw as Json & { name: string };
    buildStruct(common.name, name + common.name, common.fields, true, `${sourceFile} ${common.name}`);
  }
  for (const { field, elementName, where } of pending) {
    const struct = structs.get(elementName);
    if (!struct?.common)
      throw new Error(`${where}: struct type ${elementName} is not defined here or in commonStructs`);
    field.struct = struct;
  }

  // Versions each struct is used in, and field paths for error messages.
  const visit = (struct: StructModel, ctx: Range, prefix: string) => {
    struct.ctx = hull(struct.ctx, ctx);
    struct.uses.push(prefix);
    for (const field of struct.fields) {
      field.path = prefix + field.prop;
      if (field.struct === null) continue;
      let childCtx = intersect(ctx, field.versions);
      if (field.struct.common)
        childCtx = intersect(childCtx, commonVersions.get(field.struct.jsonName) ?? null);
      if (childCtx === null) continue;
      visit(field.struct, childCtx, `${field.path}${field.array ? '[]' : ''}.`);
    }
  };
  visit(root, valid, '');
  const unusedCommon = [...structs.values()].filter((s) => s.ctx === null);
  if (unusedCommon.length > 0) {
    throw new Error(
      `${sourceFile}: structs never used in a valid version: ${unusedCommon.map((s) => s.jsonName).join(', ')}`,
    );
  }
  // A common struct used in several places names its fields from the struct, not from one use.
  for (const struct of structs.values()) {
    if (struct.uses.length > 1)
      for (const field of struct.fields) field.path = `${struct.jsonName}.${field.prop}`;
  }
  return { name, type, apiKey, valid, flexible, root, structs: [...structs.values()], sourceFile };
}

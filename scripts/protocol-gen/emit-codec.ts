// Emits the straight-line read and write function of one struct: one statement per field, guarded by
// `version` conditions only where the field's presence, nullability or encoding changes within the
// versions the struct can be used in.
import type { FieldModel, MessageModel, StructModel } from './model.ts';
import { ifElse, intersect, ternary, versionCond, type Cond, type Range } from './versions.ts';

/** Collects the helpers from codec-runtime.ts a module uses, so it imports exactly those. */
export class Imports {
  readonly runtime = new Set<string>();
  readonly structDefaults = new Set<StructModel>();

  use(name: string): string {
    this.runtime.add(name);
    return name;
  }
}

const SCALAR_METHOD: Record<string, string> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint16: 'uint16',
  uint32: 'uint32',
  float64: 'float64',
  bool: 'bool',
  uuid: 'uuid',
};

const ELEMENT_READER: Record<string, string> = {
  int8: 'readInt8Element',
  int16: 'readInt16Element',
  int32: 'readInt32Element',
  int64: 'readInt64Element',
  uint16: 'readUint16Element',
  uint32: 'readUint32Element',
  float64: 'readFloat64Element',
  bool: 'readBoolElement',
  uuid: 'readUuidElement',
};

/** Reader/Writer method names for [flexible & nullable, flexible, classic & nullable, classic]. */
function variableMethods(kind: string): [string, string, string, string] {
  return kind === 'string'
    ? ['compactNullableString', 'compactString', 'nullableString', 'string']
    : ['compactNullableBytes', 'compactBytes', 'nullableBytes', 'bytes'];
}

export function flexRange(msg: MessageModel, field: FieldModel): Range | null {
  return field.flexOverride !== undefined ? field.flexOverride : msg.flexible;
}

/** Versions of ctx in which the struct carries a tagged-field section. */
export function structFlexCtx(msg: MessageModel, struct: StructModel): Range | null {
  return intersect(msg.flexible, struct.ctx);
}

export function defaultExpr(field: FieldModel, imports: Imports): string {
  switch (field.def.kind) {
    case 'value':
      if (field.def.js === 'ZERO_UUID') imports.use('ZERO_UUID');
      return field.def.js;
    case 'null':
      return 'null';
    case 'empty':
      return field.array ? '[]' : imports.use('EMPTY_BUFFER');
    case 'struct':
      if (field.struct === null) throw new Error(`${field.path}: struct default without a struct`);
      imports.structDefaults.add(field.struct);
      return `default${field.struct.typeName}()`;
  }
}

export class CodecEmitter {
  readonly msg: MessageModel;
  readonly imports: Imports;

  constructor(msg: MessageModel, imports: Imports) {
    this.msg = msg;
    this.imports = imports;
  }

  /** Expression reading the field in versions ctx (all of which have it on the wire). */
  readExpr(field: FieldModel, ctx: Range, tagged: boolean): string {
    const flexible: Cond = tagged ? true : versionCond(flexRange(this.msg, field), ctx);
    const nullable = versionCond(field.nullable, ctx);
    const path = JSON.stringify(field.path);
    if (field.array) {
      const length = ternary(flexible, `r.compactArrayLength(${path})`, `r.arrayLength(${path})`);
      let element: string;
      if (field.kind === 'struct') element = `read${field.struct?.typeName}`;
      else if (field.kind === 'string') {
        element = ternary(
          flexible,
          this.imports.use('readCompactStringElement'),
          this.imports.use('readStringElement'),
        );
      } else if (field.kind === 'bytes') {
        element = ternary(
          flexible,
          this.imports.use('readCompactBytesElement'),
          this.imports.use('readBytesElement'),
        );
      } else element = this.imports.use(ELEMENT_READER[field.kind]);
      return `${this.imports.use('readArray')}(r, ${length}, ${element}, version, ${ternary(nullable, 'null', path)})`;
    }
    switch (field.kind) {
      case 'string':
      case 'bytes':
      case 'records': {
        const [fn, f, n, c] = variableMethods(field.kind);
        return ternary(
          flexible,
          ternary(nullable, `r.${fn}(${path})`, `r.${f}(${path})`),
          ternary(nullable, `r.${n}(${path})`, `r.${c}(${path})`),
        );
      }
      case 'struct': {
        const plain = `read${field.struct?.typeName}(r, version)`;
        // Kafka marks a nullable struct with a signed byte (-1 null, 1 present), or a uvarint (0/1)
        // inside a tagged field.
        const isNull = tagged ? 'r.uvarint() === 0' : 'r.int8() < 0';
        return ternary(nullable, `(${isNull} ? null : ${plain})`, plain);
      }
      default:
        return `r.${SCALAR_METHOD[field.kind]}()`;
    }
  }

  /** Statements writing `value` (the field's value) in versions ctx. */
  writeStmts(field: FieldModel, ctx: Range, tagged: boolean, value: string): string {
    const flexible: Cond = tagged ? true : versionCond(flexRange(this.msg, field), ctx);
    const nullable = versionCond(field.nullable, ctx);
    const nullError = `${this.imports.use('nullField')}(${JSON.stringify(this.msg.name)}, version, ${JSON.stringify(field.path)})`;
    if (field.array) {
      const loop = (compact: boolean): string => {
        let write: string;
        if (field.kind === 'struct') write = `write${field.struct?.typeName}(w, version, a[i]);`;
        else if (field.kind === 'string') write = compact ? 'w.compactString(a[i]);' : 'w.string(a[i]);';
        else if (field.kind === 'bytes') write = compact ? 'w.compactBytes(a[i]);' : 'w.bytes(a[i]);';
        else write = `w.${SCALAR_METHOD[field.kind]}(a[i]);`;
        return `for (let i = 0; i < a.length; i++) ${write}`;
      };
      // Elements whose encoding depends on flexibility get one loop per branch, keeping the check out of the loop.
      const perBranch = field.kind === 'string' || field.kind === 'bytes';
      const body = perBranch
        ? ifElse(
            flexible,
            `w.compactArrayLength(a.length);\n${loop(true)}`,
            `w.arrayLength(a.length);\n${loop(false)}`,
          )
        : `${ifElse(flexible, 'w.compactArrayLength(a.length);', 'w.arrayLength(a.length);')}\n${loop(false)}`;
      // Unbraced: callers put these statements in a block of their own (they declare `a`).
      if (nullable === false) return `const a = ${value} ?? ${nullError};\n${body}`;
      const writeNull = ifElse(flexible, 'w.uvarint(0);', 'w.int32(-1);');
      return `const a = ${value};\nif (a == null) {\n${ifElse(nullable, writeNull, `${nullError};`)}\n} else {\n${body}\n}`;
    }
    switch (field.kind) {
      case 'string':
      case 'bytes':
      case 'records': {
        const [fn, f, n, c] = variableMethods(field.kind);
        return ifElse(
          nullable,
          ifElse(flexible, `w.${fn}(${value});`, `w.${n}(${value});`),
          ifElse(flexible, `w.${f}(${value} ?? ${nullError});`, `w.${c}(${value} ?? ${nullError});`),
        );
      }
      case 'struct': {
        const write = `write${field.struct?.typeName}(w, version, ${value});`;
        const [absent, present] = tagged ? ['w.uvarint(0);', 'w.uvarint(1);'] : ['w.int8(-1);', 'w.int8(1);'];
        return ifElse(
          nullable,
          `if (${value} == null) {\n${absent}\n} else {\n${present}\n${write}\n}`,
          `write${field.struct?.typeName}(w, version, ${value} ?? ${nullError});`,
        );
      }
      default:
        return `w.${SCALAR_METHOD[field.kind]}(${value});`;
    }
  }

  /** Condition under which a tagged field is worth sending: set, and not its default. */
  #taggedIsSet(field: FieldModel, ctx: Range): string {
    const x = `m.${field.prop}`;
    const nullable = versionCond(field.nullable, ctx) !== false;
    const nullError = `${this.imports.use('nullField')}(${JSON.stringify(this.msg.name)}, version, ${JSON.stringify(field.path)})`;
    if (field.def.kind === 'null') return `${x} != null`;
    const set = `${x} !== undefined`;
    switch (field.def.kind) {
      case 'value':
        if (field.def.js === 'ZERO_UUID') this.imports.use('ZERO_UUID');
        return `${set} && ${x} !== ${field.def.js}`;
      case 'empty':
        return nullable
          ? `${set} && (${x} === null || ${x}.length > 0)`
          : `${set} && (${x} ?? ${nullError}).length > 0`;
      case 'struct':
        return set;
    }
  }

  /** The read function of a struct. */
  readFunction(struct: StructModel): string {
    const ctx = struct.ctx as Range;
    const props: string[] = [];
    for (const field of struct.fields) {
      if (field.tag !== null) continue;
      const present = versionCond(field.versions, ctx);
      const presentCtx = intersect(field.versions, ctx);
      const read = presentCtx === null ? '' : this.readExpr(field, presentCtx, false);
      // The default is only referenced (and its helpers imported) when some version lacks the field.
      const value = present === true ? read : ternary(present, read, defaultExpr(field, this.imports));
      props.push(`${field.prop}: ${value},`);
    }
    const lines = [
      `function read${struct.typeName}(r: Reader, version: number): ${struct.typeName} {`,
      `const m: ${struct.typeName} = {\n${props.join('\n')}\n};`,
    ];
    const flexCtx = structFlexCtx(this.msg, struct);
    if (flexCtx !== null)
      lines.push(ifElse(versionCond(this.msg.flexible, ctx), this.#readTags(struct, flexCtx)));
    lines.push('return m;', '}');
    return lines.join('\n');
  }

  #readTags(struct: StructModel, flexCtx: Range): string {
    const known = struct.fields.filter((f) => f.tag !== null && intersect(f.tagged, flexCtx) !== null);
    if (known.length === 0)
      return 'const tags = r.unknownTags();\nif (tags !== undefined) m._unknownTags = tags;';
    const keep = '(m._unknownTags ??= []).push({ tag, data: r.rawBytes(size) });';
    const cases = known
      .sort((a, b) => (a.tag as number) - (b.tag as number))
      .map((f) => {
        const tagCtx = intersect(f.tagged, flexCtx) as Range;
        const assign = `m.${f.prop} = ${this.readExpr(f, tagCtx, true)};`;
        // A known tag outside the versions that define it is kept as unknown, like any other.
        return `case ${f.tag}:\n${ifElse(versionCond(f.tagged, flexCtx), assign, keep)}\nbreak;`;
      });
    return [
      'const n = r.tagCount();',
      'for (let i = 0; i < n; i++) {',
      "const tag = r.uvarint('tag');",
      "const size = r.uvarint('tagged field size');",
      'const end = r.beginTaggedField(tag, size);',
      `switch (tag) {\n${cases.join('\n')}\ndefault:\n${keep}\n}`,
      'r.endTaggedField(tag, end);',
      '}',
    ].join('\n');
  }

  /** The write function of a struct. */
  writeFunction(struct: StructModel, tsType: (f: FieldModel) => string): string {
    const ctx = struct.ctx as Range;
    const lines = [
      `function write${struct.typeName}(w: Writer, version: number, m: ${struct.typeName}): void {`,
    ];
    for (const field of struct.fields) {
      if (field.tag !== null) continue;
      const presentCtx = intersect(field.versions, ctx);
      if (presentCtx === null) continue;
      const present = versionCond(field.versions, ctx);
      const stmts = this.writeStmts(field, presentCtx, false, `m.${field.prop}`);
      lines.push(present === true && field.array ? `{\n${stmts}\n}` : ifElse(present, stmts));
    }
    const flexCtx = structFlexCtx(this.msg, struct);
    if (flexCtx !== null) {
      lines.push(ifElse(versionCond(this.msg.flexible, ctx), this.#writeTags(struct, flexCtx, tsType)));
    }
    lines.push('}');
    return lines.join('\n');
  }

  #writeTags(struct: StructModel, flexCtx: Range, tsType: (f: FieldModel) => string): string {
    const known = struct.fields
      .filter((f) => f.tag !== null && intersect(f.tagged, flexCtx) !== null)
      .sort((a, b) => (a.tag as number) - (b.tag as number));
    if (known.length === 0) return 'w.unknownTags(m._unknownTags);';
    const lines = ['const unknown = m._unknownTags;'];
    for (const f of known) {
      const tagCtx = intersect(f.tagged, flexCtx) as Range;
      const cond = versionCond(f.tagged, flexCtx);
      lines.push(`const has${f.tag} = ${cond === true ? '' : `${cond} && `}${this.#taggedIsSet(f, tagCtx)};`);
    }
    const count = known.map((f) => `(has${f.tag} ? 1 : 0)`).join(' + ');
    lines.push(`const count = (unknown === undefined ? 0 : unknown.length) + ${count};`, 'w.uvarint(count);');
    const body = [
      `const tags = unknown === undefined ? [] : ${this.imports.use('sortTags')}(unknown);`,
      'let u = 0;',
    ];
    const below = this.imports.use('writeTagsBelow');
    for (const f of known) {
      const tagCtx = intersect(f.tagged, flexCtx) as Range;
      body.push(
        `u = ${below}(w, tags, u, ${f.tag});`,
        `if (has${f.tag}) {`,
        `const v = m.${f.prop} as ${tsType(f)};`,
        `w.uvarint(${f.tag});`,
        'const mark = w.beginSized();',
        this.writeStmts(f, tagCtx, true, 'v'),
        'w.endSized(mark);',
        '}',
      );
    }
    body.push(`${below}(w, tags, u, Infinity);`);
    lines.push(`if (count > 0) {\n${body.join('\n')}\n}`);
    return lines.join('\n');
  }

  /** A struct made of its fields' defaults (what Kafka's no-argument constructor builds). */
  defaultFunction(struct: StructModel): string {
    const props = struct.fields
      .filter((f) => f.tag === null)
      .map((f) => `${f.prop}: ${defaultExpr(f, this.imports)},`);
    return `function default${struct.typeName}(): ${struct.typeName} {\nreturn {\n${props.join('\n')}\n};\n}`;
  }
}

/** A Hive primitive type that is written as it is named. */
export type HivePrimitiveKind =
  | 'string'
  | 'boolean'
  | 'tinyint'
  | 'smallint'
  | 'int'
  | 'bigint'
  | 'float'
  | 'double'
  | 'timestamp'
  | 'date'
  | 'binary';

/** A column type, parsed from its Hive name (`decimal(10,2)`, `array<struct<a:int>>`). */
export type HiveType =
  | { readonly kind: HivePrimitiveKind }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'array'; readonly element: HiveType }
  | { readonly kind: 'map'; readonly key: HiveType; readonly value: HiveType }
  | { readonly kind: 'struct'; readonly fields: ReadonlyArray<{ readonly name: string; readonly type: HiveType }> };

/** The Hive types a column may have, for messages. */
export const HIVE_TYPES_SUPPORTED =
  'string, char(n), varchar(n), boolean, tinyint, smallint, int, bigint, float, double, decimal(p,s), timestamp, date, binary, array<…>, map<…>, struct<…>';

const PRIMITIVES: Readonly<Record<string, HivePrimitiveKind>> = {
  string: 'string',
  boolean: 'boolean',
  tinyint: 'tinyint',
  smallint: 'smallint',
  int: 'int',
  integer: 'int',
  bigint: 'bigint',
  float: 'float',
  double: 'double',
  timestamp: 'timestamp',
  date: 'date',
  binary: 'binary',
};

/**
 * Parses a Hive type as a Glue table's `StorageDescriptor.Columns` (or `SchemaConfiguration.Columns`) names
 * it, ignoring case and spaces: the primitives, `char(n)` and `varchar(n)` (strings), `decimal(p,s)`
 * (`decimal` alone is `decimal(10,0)`, as in Hive; precision 1–38, scale 0–p), and the nested `array<T>`,
 * `map<K,V>` (K a primitive) and `struct<name:T,…>`. Returns `undefined` for anything else (`uniontype`,
 * `interval`, a typo).
 */
export function parseHiveType(text: string): HiveType | undefined {
  let at = 0;
  const space = (): void => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const eat = (c: string): boolean => {
    space();
    if (text[at] !== c) return false;
    at++;
    return true;
  };
  const expect = (c: string): void => {
    if (!eat(c)) throw new SyntaxError(c);
  };
  const word = (): string => {
    space();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at));
    if (m === null) throw new SyntaxError('a name');
    at += m[0].length;
    return m[0];
  };
  const number = (): number => {
    space();
    const m = /^\d{1,3}/.exec(text.slice(at));
    if (m === null) throw new SyntaxError('a number');
    at += m[0].length;
    return Number(m[0]);
  };
  const type = (): HiveType => {
    const name = word().toLowerCase();
    if (name === 'char' || name === 'varchar') {
      expect('(');
      const n = number();
      expect(')');
      if (n < 1) throw new SyntaxError('a length');
      return { kind: 'string' };
    }
    if (name === 'decimal' || name === 'numeric') {
      let precision = 10;
      let scale = 0;
      if (eat('(')) {
        precision = number();
        if (eat(',')) scale = number();
        expect(')');
      }
      if (precision < 1 || precision > 38 || scale > precision) throw new SyntaxError('a precision and scale');
      return { kind: 'decimal', precision, scale };
    }
    if (name === 'array') {
      expect('<');
      const element = type();
      expect('>');
      return { kind: 'array', element };
    }
    if (name === 'map') {
      expect('<');
      const key = type();
      if (key.kind === 'array' || key.kind === 'map' || key.kind === 'struct') throw new SyntaxError('a primitive key');
      expect(',');
      const value = type();
      expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'struct') {
      expect('<');
      const fields: Array<{ name: string; type: HiveType }> = [];
      do {
        space();
        const quoted = /^`([^`]+)`/.exec(text.slice(at));
        let field: string;
        if (quoted === null) field = word();
        else {
          field = quoted[1]!;
          at += quoted[0].length;
        }
        if (fields.some((f) => f.name.toLowerCase() === field.toLowerCase())) throw new SyntaxError('distinct field names');
        expect(':');
        fields.push({ name: field, type: type() });
      } while (eat(','));
      expect('>');
      return { kind: 'struct', fields };
    }
    if (!Object.hasOwn(PRIMITIVES, name)) throw new SyntaxError('a type');
    return { kind: PRIMITIVES[name]! };
  };
  try {
    const parsed = type();
    space();
    return at === text.length ? parsed : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

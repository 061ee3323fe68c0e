import { asConfigurationError } from '../../config/asConfigurationError.js';
import { checkFields } from '../../config/checkFields.js';
import { configEnum } from '../../config/configEnum.js';
import { configNumber } from '../../config/configNumber.js';
import { configRoleArn } from '../../config/configRoleArn.js';
import type { ConfigContext } from '../../config/ConfigContext.js';
import { InvalidConfigurationError } from '../../config/InvalidConfigurationError.js';
import { MissingPeerDependencyError } from '../../errors/MissingPeerDependencyError.js';
import { glueTableColumns, type GlueTableRef } from './glueTableColumns.js';
import { HIVE_TYPES_SUPPORTED, parseHiveType } from './hiveType.js';
import type { DataFormatConversion } from './DataFormatConversion.js';
import type { ParquetColumn } from './ParquetColumn.js';
import { parquetConversion } from './parquetConversion.js';

/** Glue table fields of `SchemaConfiguration`. */
const GLUE_FIELDS = ['TableName', 'DatabaseName', 'CatalogId', 'Region', 'VersionId'];
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** What reading a Glue table needs from the configuration loader. */
export type GlueContext = Pick<ConfigContext, 'atLoad' | 'clients'>;

/**
 * Maps a `DataFormatConversionConfiguration` to a Parquet conversion, or `undefined` when it is absent or
 * `Enabled: false` (checked either way). The schema is a Glue table (`DatabaseName`, `TableName`, with
 * `CatalogId`, `Region`, `VersionId`), read through `ctx` while the stream loads (`ctx.atLoad`: its columns,
 * a Hive type the writer does not write refused naming the column), or `SchemaConfiguration.Columns`
 * (`[{ Name, Type }]` with Hive types: an rx-firehose extension). `InputFormatConfiguration.Deserializer` is `OpenXJsonSerDe` (with `CaseInsensitive`)
 * or `HiveJsonSerDe`; `OutputFormatConfiguration.Serializer` is `ParquetSerDe` (`Compression`,
 * `PageSizeBytes`, and `BlockSizeBytes` checked: every object is one row group). `OrcSerDe` and the
 * options that change how fields are read are refused by name.
 *
 * ## Example
 * ```ts
 * const conversion = dataFormatConversionFromConfig(fields.DataFormatConversionConfiguration, 'ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration', ctx);
 * ```
 */
export function dataFormatConversionFromConfig(config: unknown, path: string, ctx?: GlueContext): DataFormatConversion | undefined {
  if (config === undefined || config === null) return undefined;
  const fields = checkFields(config, path, {
    supported: ['Enabled', 'SchemaConfiguration', 'InputFormatConfiguration', 'OutputFormatConfiguration'],
  });
  if (fields.Enabled !== undefined && typeof fields.Enabled !== 'boolean')
    throw InvalidConfigurationError.invalid(`${path}.Enabled`, fields.Enabled, 'true or false');
  const enabled = fields.Enabled !== false; // Firehose's default: true
  if (!enabled && fields.SchemaConfiguration === undefined) return undefined;
  if (fields.SchemaConfiguration === undefined) {
    throw InvalidConfigurationError.invalid(
      `${path}.SchemaConfiguration`,
      undefined,
      'present when the conversion is enabled, with DatabaseName and TableName (a Glue table) or Columns',
    );
  }
  const schema = schemaOf(fields.SchemaConfiguration, `${path}.SchemaConfiguration`);
  const { caseInsensitive, timestampFormats } = deserializerOf(fields.InputFormatConfiguration, `${path}.InputFormatConfiguration`);
  const formatsField = `${path}.InputFormatConfiguration.Deserializer.HiveJsonSerDe.TimestampFormats`;
  const serializer = serializerOf(fields.OutputFormatConfiguration, `${path}.OutputFormatConfiguration`);
  const serde = `${path}.OutputFormatConfiguration.Serializer.ParquetSerDe`;
  const build = (columns: ParquetColumn[], columnPaths: Record<string, string>): DataFormatConversion =>
    asConfigurationError(
      () =>
        parquetConversion({
          columns,
          caseInsensitive,
          compression: serializer.compression,
          ...(serializer.pageSizeBytes === undefined ? {} : { pageSizeBytes: serializer.pageSizeBytes }),
          ...(timestampFormats === undefined ? {} : { timestampFormats: timestampFormats as string[] }),
        }),
      {
        compression: `${serde}.Compression`,
        pageSizeBytes: `${serde}.PageSizeBytes`,
        timestampFormats: formatsField,
        ...Object.fromEntries((timestampFormats ?? []).map((_f, i) => [`timestampFormats[${i}]`, `${formatsField}[${i}]`])),
        ...columnPaths,
      },
    );
  if ('columns' in schema) {
    const conversion = build(schema.columns, columnFields(schema.columns.length, `${path}.SchemaConfiguration.Columns`));
    return enabled ? conversion : undefined;
  }
  // Checked, but a disabled conversion reads no table.
  if (!enabled) return undefined;
  if (ctx === undefined)
    throw InvalidConfigurationError.unsupported(
      `${path}.SchemaConfiguration.TableName`,
      'Glue tables are read only by deliveryStreamFromConfig',
    );
  // The table is read while the stream loads (an asynchronous check): the stream reads no record before.
  let conversion: DataFormatConversion | undefined;
  const tableField = `${path}.SchemaConfiguration.TableName`;
  ctx.atLoad(tableField, async () => {
    const columns = await glueSchema(schema.glue, tableField, ctx);
    conversion = build(
      columns,
      Object.fromEntries(
        ['columns', ...columns.map((_, i) => `columns[${i}]`)].flatMap((k) => [
          [k, tableField],
          [`${k}.name`, tableField],
          [`${k}.type`, tableField],
        ]),
      ),
    );
  });
  const loaded = (): DataFormatConversion => {
    if (conversion === undefined) throw new Error(`${tableField}: the Glue table is not read yet (await the stream's loaded)`);
    return conversion;
  };
  return {
    format: 'parquet',
    extension: '.parquet',
    check: (batch, groupOf) => loaded().check(batch, groupOf),
    encode: (records) => loaded().encode(records),
  };
}

/** The columns of the Glue table, each type mapped, or an {@link InvalidConfigurationError} on the table's field. */
async function glueSchema(ref: GlueTableRef & { region?: string | undefined }, field: string, ctx: GlueContext): Promise<ParquetColumn[]> {
  const name = `${ref.catalogId === undefined ? '' : `${ref.catalogId}:`}${ref.databaseName}.${ref.tableName}${ref.versionId === undefined || ref.versionId === 'LATEST' ? '' : ` version ${ref.versionId}`}`;
  let columns;
  try {
    columns = await glueTableColumns(ctx.clients.glue(ref.region), ref);
  } catch (err) {
    if (err instanceof MissingPeerDependencyError) throw err;
    const code = (err as { name?: unknown }).name;
    const why = code === 'EntityNotFoundException' ? 'does not exist' : 'could not be read';
    throw new InvalidConfigurationError(field, `${field}: the Glue table ${name} ${why} (${String(code)}: ${(err as Error).message})`, {
      cause: err,
    });
  }
  return columns.map((column) => {
    if (parseHiveType(column.type) === undefined) {
      throw new InvalidConfigurationError(
        field,
        `${field}: column ${JSON.stringify(column.name)} of the Glue table ${name} has type ${JSON.stringify(column.type)}, which is not supported (supported: ${HIVE_TYPES_SUPPORTED})`,
      );
    }
    return { name: column.name, type: column.type as ParquetColumn['type'] };
  });
}

type Schema = { readonly columns: ParquetColumn[] } | { readonly glue: GlueTableRef & { region?: string | undefined } };

/** `SchemaConfiguration`: explicit `Columns` (an rx-firehose extension), or a Glue table. */
function schemaOf(config: unknown, path: string): Schema {
  const fields = checkFields(config, path, { supported: ['Columns', 'RoleARN', ...GLUE_FIELDS] });
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const glue = GLUE_FIELDS.filter((f) => fields[f] !== undefined);
  if (fields.Columns !== undefined && glue.length > 0)
    throw InvalidConfigurationError.invalid(
      `${path}.${glue[0]}`,
      fields[glue[0]!],
      'left out when Columns gives the schema (a Glue table or Columns, not both)',
    );
  if (fields.Columns !== undefined) return { columns: columnsOf(fields.Columns, `${path}.Columns`) };
  const text = (
    field: string,
    required: boolean,
    pattern?: RegExp,
    description = 'a string of 1 to 255 characters',
  ): string | undefined => {
    const value = fields[field];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > 255 || (pattern !== undefined && !pattern.test(value)))
      throw InvalidConfigurationError.invalid(
        `${path}.${field}`,
        value,
        description + (required ? ' (a Glue table, or Columns [{ "Name", "Type" }])' : ''),
      );
    return value;
  };
  const databaseName = text('DatabaseName', true)!;
  const tableName = text('TableName', true)!;
  const catalogId = text('CatalogId', false);
  const region = text('Region', false, REGION, 'an AWS region name such as us-east-1');
  const versionId = text('VersionId', false, /^(?:LATEST|\d{1,20})$/, 'LATEST or a table version number');
  return { glue: { databaseName, tableName, catalogId, versionId, region } };
}

function columnsOf(list: unknown, path: string): ParquetColumn[] {
  if (!Array.isArray(list) || list.length === 0)
    throw InvalidConfigurationError.invalid(
      path,
      list,
      'a list of columns [{ "Name", "Type" }] (or a Glue table: DatabaseName and TableName)',
    );
  return list.map((column: unknown, i) => {
    const at = `${path}[${i}]`;
    const c = checkFields(column, at, { supported: ['Name', 'Type'], required: ['Name', 'Type'] });
    // The type is checked by parquetConversion (a Hive type), its error mapped to this field.
    return { name: c.Name as string, type: c.Type as ParquetColumn['type'] };
  });
}

function columnFields(n: number, path: string): Record<string, string> {
  const out: Record<string, string> = { columns: path };
  for (let i = 0; i < n; i++) {
    out[`columns[${i}].name`] = `${path}[${i}].Name`;
    out[`columns[${i}].type`] = `${path}[${i}].Type`;
  }
  return out;
}

/** The deserializer: whether field names match columns ignoring case, and `HiveJsonSerDe`'s `TimestampFormats`. */
function deserializerOf(config: unknown, path: string): { caseInsensitive: boolean; timestampFormats?: unknown[] | undefined } {
  if (config === undefined || config === null) return { caseInsensitive: true };
  const input = checkFields(config, path, { supported: ['Deserializer'], required: ['Deserializer'] });
  const at = `${path}.Deserializer`;
  const d = checkFields(input.Deserializer, at, { supported: ['OpenXJsonSerDe', 'HiveJsonSerDe'] });
  if ((d.OpenXJsonSerDe === undefined) === (d.HiveJsonSerDe === undefined)) {
    throw InvalidConfigurationError.invalid(at, input.Deserializer, 'exactly one of OpenXJsonSerDe, HiveJsonSerDe');
  }
  if (d.HiveJsonSerDe !== undefined) {
    const hive = checkFields(d.HiveJsonSerDe, `${at}.HiveJsonSerDe`, { supported: ['TimestampFormats'] });
    const formats = hive.TimestampFormats;
    if (formats !== undefined && !Array.isArray(formats))
      throw InvalidConfigurationError.invalid(`${at}.HiveJsonSerDe.TimestampFormats`, formats, 'a list of formats');
    // Hive lower-cases column names and matches fields ignoring case. The formats are checked by parquetConversion.
    return { caseInsensitive: true, ...(formats === undefined ? {} : { timestampFormats: formats }) };
  }
  const openX = checkFields(d.OpenXJsonSerDe, `${at}.OpenXJsonSerDe`, {
    supported: ['CaseInsensitive', 'ConvertDotsInJsonKeysToUnderscores'],
    notYet: ['ColumnToJsonKeyMappings'],
  });
  if (openX.ConvertDotsInJsonKeysToUnderscores !== undefined && openX.ConvertDotsInJsonKeysToUnderscores !== false) {
    throw InvalidConfigurationError.unsupported(`${at}.OpenXJsonSerDe.ConvertDotsInJsonKeysToUnderscores`, 'only false');
  }
  if (openX.CaseInsensitive !== undefined && typeof openX.CaseInsensitive !== 'boolean') {
    throw InvalidConfigurationError.invalid(`${at}.OpenXJsonSerDe.CaseInsensitive`, openX.CaseInsensitive, 'true or false');
  }
  return { caseInsensitive: openX.CaseInsensitive !== false };
}

function serializerOf(
  config: unknown,
  path: string,
): { compression: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED'; pageSizeBytes?: number | undefined } {
  if (config === undefined || config === null)
    throw InvalidConfigurationError.invalid(path, config, 'an object with Serializer.ParquetSerDe');
  const output = checkFields(config, path, { supported: ['Serializer'], required: ['Serializer'] });
  const at = `${path}.Serializer`;
  const s = checkFields(output.Serializer, at, { supported: ['ParquetSerDe'], notYet: ['OrcSerDe'] });
  if (s.ParquetSerDe === undefined) throw InvalidConfigurationError.invalid(at, output.Serializer, 'an object with ParquetSerDe');
  const serde = `${at}.ParquetSerDe`;
  const p = checkFields(s.ParquetSerDe, serde, {
    supported: ['Compression', 'PageSizeBytes', 'BlockSizeBytes', 'EnableDictionaryCompression', 'MaxPaddingBytes', 'WriterVersion'],
  });
  const compression = configEnum(p.Compression, `${serde}.Compression`, ['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const);
  // Every object is one row group of at most the buffer size (≤ 128 MiB): the block size only bounds it.
  configNumber(p.BlockSizeBytes, `${serde}.BlockSizeBytes`, { min: 67_108_864, max: 2 ** 31 - 1, default: 268_435_456, unit: 'bytes' });
  if (p.MaxPaddingBytes !== undefined && p.MaxPaddingBytes !== 0)
    throw InvalidConfigurationError.unsupported(`${serde}.MaxPaddingBytes`, 'only 0 (no padding)');
  if (p.EnableDictionaryCompression !== undefined && p.EnableDictionaryCompression !== true) {
    throw InvalidConfigurationError.unsupported(
      `${serde}.EnableDictionaryCompression`,
      'only true (dictionaries are used where they at least halve a column)',
    );
  }
  configEnum(p.WriterVersion, `${serde}.WriterVersion`, ['V2'] as const, ['V1']);
  const pageSizeBytes =
    p.PageSizeBytes === undefined
      ? undefined
      : configNumber(p.PageSizeBytes, `${serde}.PageSizeBytes`, { min: 65_536, max: 2 ** 31 - 1, default: 1_048_576, unit: 'bytes' });
  return { compression, ...(pageSizeBytes === undefined ? {} : { pageSizeBytes }) };
}

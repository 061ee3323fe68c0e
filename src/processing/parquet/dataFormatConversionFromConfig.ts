import { asConfigurationError } from '../../config/asConfigurationError.js';
import { checkFields } from '../../config/checkFields.js';
import { configEnum } from '../../config/configEnum.js';
import { configNumber } from '../../config/configNumber.js';
import { configRoleArn } from '../../config/configRoleArn.js';
import { InvalidConfigurationError } from '../../config/InvalidConfigurationError.js';
import type { DataFormatConversion } from './DataFormatConversion.js';
import { PARQUET_COLUMN_TYPES, type ParquetColumn } from './ParquetColumn.js';
import { parquetConversion } from './parquetConversion.js';

/** Glue table fields of `SchemaConfiguration`: refused by name (the schema is given as `Columns`). */
const GLUE_FIELDS = ['TableName', 'DatabaseName', 'CatalogId', 'Region', 'VersionId'];
const GLUE =
  'Glue tables are not read here; give the schema as SchemaConfiguration.Columns, [{ "Name", "Type" }] (an rx-firehose extension)';

/**
 * Maps a `DataFormatConversionConfiguration` to a Parquet conversion, or `undefined` when it is absent or
 * `Enabled: false` (checked either way). The schema comes from `SchemaConfiguration.Columns`
 * (`[{ Name, Type }]` with Hive types: an rx-firehose extension standing in for a Glue table, whose fields
 * are refused by name). `InputFormatConfiguration.Deserializer` is `OpenXJsonSerDe` (with `CaseInsensitive`)
 * or `HiveJsonSerDe`; `OutputFormatConfiguration.Serializer` is `ParquetSerDe` (`Compression`,
 * `PageSizeBytes`, and `BlockSizeBytes` checked: every object is one row group). `OrcSerDe` and the
 * options that change how fields are read are refused by name.
 *
 * ## Example
 * ```ts
 * const conversion = dataFormatConversionFromConfig(fields.DataFormatConversionConfiguration, 'ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration');
 * ```
 */
export function dataFormatConversionFromConfig(config: unknown, path: string): DataFormatConversion | undefined {
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
      'present when the conversion is enabled, with Columns',
    );
  }
  const columns = columnsOf(fields.SchemaConfiguration, `${path}.SchemaConfiguration`);
  const caseInsensitive = deserializerOf(fields.InputFormatConfiguration, `${path}.InputFormatConfiguration`);
  const serializer = serializerOf(fields.OutputFormatConfiguration, `${path}.OutputFormatConfiguration`);
  const serde = `${path}.OutputFormatConfiguration.Serializer.ParquetSerDe`;
  const conversion = asConfigurationError(
    () =>
      parquetConversion({
        columns,
        caseInsensitive,
        compression: serializer.compression,
        ...(serializer.pageSizeBytes === undefined ? {} : { pageSizeBytes: serializer.pageSizeBytes }),
      }),
    {
      compression: `${serde}.Compression`,
      pageSizeBytes: `${serde}.PageSizeBytes`,
      ...columnFields(columns.length, `${path}.SchemaConfiguration.Columns`),
    },
  );
  return enabled ? conversion : undefined;
}

function columnsOf(config: unknown, path: string): ParquetColumn[] {
  const fields = checkFields(config, path, { supported: ['Columns', 'RoleARN', ...GLUE_FIELDS] });
  for (const glue of GLUE_FIELDS) if (fields[glue] !== undefined) throw InvalidConfigurationError.unsupported(`${path}.${glue}`, GLUE);
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const list = fields.Columns;
  if (!Array.isArray(list) || list.length === 0)
    throw InvalidConfigurationError.invalid(`${path}.Columns`, list, `a list of columns [{ "Name", "Type" }] (${GLUE})`);
  return list.map((column: unknown, i) => {
    const at = `${path}.Columns[${i}]`;
    const c = checkFields(column, at, { supported: ['Name', 'Type'], required: ['Name', 'Type'] });
    const type = typeof c.Type === 'string' ? c.Type.toLowerCase() : c.Type;
    return { name: c.Name as string, type: configEnum(type, `${at}.Type`, PARQUET_COLUMN_TYPES) };
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

/** The deserializer: whether field names match columns ignoring case. */
function deserializerOf(config: unknown, path: string): boolean {
  if (config === undefined || config === null) return true;
  const input = checkFields(config, path, { supported: ['Deserializer'], required: ['Deserializer'] });
  const at = `${path}.Deserializer`;
  const d = checkFields(input.Deserializer, at, { supported: ['OpenXJsonSerDe', 'HiveJsonSerDe'] });
  if ((d.OpenXJsonSerDe === undefined) === (d.HiveJsonSerDe === undefined)) {
    throw InvalidConfigurationError.invalid(at, input.Deserializer, 'exactly one of OpenXJsonSerDe, HiveJsonSerDe');
  }
  if (d.HiveJsonSerDe !== undefined) {
    checkFields(d.HiveJsonSerDe, `${at}.HiveJsonSerDe`, { supported: [], notYet: ['TimestampFormats'] });
    return true; // Hive lower-cases column names and matches fields ignoring case
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
  return openX.CaseInsensitive !== false;
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

/**
 * Why a record could not be converted: `errorCode` is `DataFormatConversion.MalformedJson` (not one JSON
 * object) or `DataFormatConversion.SchemaMismatch` (a field's value does not fit its column's type).
 * The record goes to the error output under `format-conversion-failed/`.
 */
export class FormatConversionError extends Error {
  override readonly name = 'FormatConversionError';

  constructor(
    readonly errorCode: 'DataFormatConversion.MalformedJson' | 'DataFormatConversion.SchemaMismatch',
    message: string,
  ) {
    super(message);
  }
}

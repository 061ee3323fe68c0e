export { parquetConversion } from './parquetConversion.js';
export type { ParquetConversionOptions } from './parquetConversion.js';
export type { DataFormatConversion } from './DataFormatConversion.js';
export type { ParquetColumn, ParquetColumnType, ParquetCompression } from './ParquetColumn.js';
export { FormatConversionError } from './FormatConversionError.js';

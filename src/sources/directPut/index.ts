export { openDirectPut } from './openDirectPut.js';
export type { DirectPut, PutRecordAnswer, PutRecordBatchAnswer, PutRecordBatchAnswerEntry, PutRecordEntry } from './openDirectPut.js';
export type { DirectPutOptions } from './options.js';
export { DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_SEGMENT_BYTES } from './options.js';
export { FirehoseApiError } from './FirehoseApiError.js';
export type { FirehoseErrorType } from './FirehoseApiError.js';
export { MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES, SLOW_DOWN } from './limits.js';

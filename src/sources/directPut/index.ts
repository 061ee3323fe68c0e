export { openDirectPut } from './openDirectPut.js';
export type { DirectPut, PutRecordAnswer, PutRecordBatchAnswer, PutRecordBatchAnswerEntry, PutRecordEntry } from './openDirectPut.js';
export type { DirectPutOptions } from './options.js';
export { FirehoseApiError } from './FirehoseApiError.js';
export type { FirehoseErrorType } from './FirehoseApiError.js';

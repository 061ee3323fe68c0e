export { bufferBySizeOrTime, DEFAULT_MAX_BYTES, DEFAULT_MAX_MS, MAX_TIMER_MS } from './bufferBySizeOrTime.js';
export type { BufferBySizeOrTimeOptions, BatchFlush, FlushReason } from './bufferBySizeOrTime.js';
export { deliverTo } from './deliverTo.js';
export type { DeliverToOptions } from './deliverTo.js';
export { teeBackup } from './teeBackup.js';
export type { TeeBackupOptions } from './teeBackup.js';
export { transformWithLambda } from './transformWithLambda.js';
export type { TransformWithLambdaOptions } from './transformWithLambda.js';

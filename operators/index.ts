export { bufferBySizeOrTime, DEFAULT_MAX_BYTES, DEFAULT_MAX_MS, MAX_TIMER_MS } from './bufferBySizeOrTime.js';
export type { BufferBySizeOrTimeOptions, BatchFlush, FlushReason } from './bufferBySizeOrTime.js';

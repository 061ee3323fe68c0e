export * from '../operators/index.js';
export { InvalidOptionError } from './errors/InvalidOptionError.js';
export { byteSizeOf } from './records/byteSizeOf.js';

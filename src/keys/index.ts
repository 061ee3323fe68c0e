export { checkStreamName } from './checkStreamName.js';
export {
  compilePrefix,
  DEFAULT_TIMESTAMP_PATTERN,
  MAX_EVALUATED_PREFIX_CHARS,
  type CompiledKeyLayout,
  type CompilePrefixOptions,
  type KeyContext,
  type PartitionKeyValues,
} from './compilePrefix.js';
export { compileTimestampPattern, type TimestampPattern } from './compileTimestampPattern.js';
export { formatTimestamp } from './formatTimestamp.js';
export { objectName, type ObjectNameContext } from './objectName.js';
export { PartitionKeyError, type PartitionKeyNamespace, type PartitionKeyProblem } from './PartitionKeyError.js';
export { randomString } from './randomString.js';

import type { PartitionKeyValues } from '../../keys/compilePrefix.js';

/** A record's partition keys (`partitionKeys`, `queryPartitionKeys`), those it has. */
export function partitionKeysOf(record: unknown): PartitionKeyValues {
  if (typeof record !== 'object' || record === null) return {};
  const { partitionKeys, queryPartitionKeys } = record as PartitionKeyValues;
  return { ...(partitionKeys === undefined ? {} : { partitionKeys }), ...(queryPartitionKeys === undefined ? {} : { queryPartitionKeys }) };
}

/**
 * The ExtendedS3DestinationConfiguration fields of dynamic partitioning by one JQ query: a `Prefix` with
 * `!{partitionKeyFromQuery:<key>}`, the 64 MiB buffer it requires, and the MetadataExtraction processor.
 */
export function jqPartitioning(key: string, query: string, errorOutputPrefix = 'errors/') {
  return {
    Prefix: `${key}=!{partitionKeyFromQuery:${key}}/`,
    ErrorOutputPrefix: errorOutputPrefix,
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
    DynamicPartitioningConfiguration: { Enabled: true },
    ProcessingConfiguration: {
      Enabled: true,
      Processors: [
        {
          Type: 'MetadataExtraction' as const,
          Parameters: [
            { ParameterName: 'MetadataExtractionQuery' as const, ParameterValue: query },
            { ParameterName: 'JsonParsingEngine' as const, ParameterValue: 'JQ-1.6' },
          ],
        },
      ],
    },
  };
}

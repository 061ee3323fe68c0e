import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';

/** Firehose's `DeliveryStreamDescription`, as JSON on the wire (timestamps in epoch seconds). */
export interface DeliveryStreamDescription {
  readonly DeliveryStreamName: string;
  readonly DeliveryStreamARN: string;
  readonly DeliveryStreamStatus: 'CREATING' | 'ACTIVE' | 'DELETING';
  readonly DeliveryStreamType: string;
  readonly DeliveryStreamEncryptionConfiguration: { readonly Status: 'DISABLED' };
  readonly VersionId: string;
  readonly CreateTimestamp: number;
  readonly LastUpdateTimestamp: number;
  readonly Source?: Record<string, unknown> | undefined;
  readonly Destinations: Array<Record<string, unknown>>;
  readonly HasMoreDestinations: false;
}

/** Where each destination's configuration (input) becomes its description (output), as Firehose renames them. */
const DESTINATIONS: ReadonlyArray<readonly [string, string]> = [
  ['ExtendedS3DestinationConfiguration', 'ExtendedS3DestinationDescription'],
  ['S3DestinationConfiguration', 'S3DestinationDescription'],
  ['RedshiftDestinationConfiguration', 'RedshiftDestinationDescription'],
  ['ElasticsearchDestinationConfiguration', 'ElasticsearchDestinationDescription'],
  ['AmazonopensearchserviceDestinationConfiguration', 'AmazonopensearchserviceDestinationDescription'],
  ['AmazonOpenSearchServerlessDestinationConfiguration', 'AmazonOpenSearchServerlessDestinationDescription'],
  ['SplunkDestinationConfiguration', 'SplunkDestinationDescription'],
  ['HttpEndpointDestinationConfiguration', 'HttpEndpointDestinationDescription'],
  ['SnowflakeDestinationConfiguration', 'SnowflakeDestinationDescription'],
  ['IcebergDestinationConfiguration', 'IcebergDestinationDescription'],
];

/** The S3 defaults Firehose shows in a description when the configuration left them out. */
const S3_DEFAULTS = {
  BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
  CompressionFormat: 'UNCOMPRESSED',
  EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
};

/**
 * Describes a delivery stream from the `CreateDeliveryStream` input it was made from: its status, type,
 * times, source and its one destination (`destinationId-000000000001`), with Firehose's S3 defaults filled in.
 */
export function describeDeliveryStream(
  input: CreateDeliveryStreamInput,
  state: {
    readonly arn: string;
    readonly status: DeliveryStreamDescription['DeliveryStreamStatus'];
    readonly createdAtMs: number;
    readonly updatedAtMs: number;
  },
): DeliveryStreamDescription {
  const type = input.DeliveryStreamType ?? 'DirectPut';
  const destination: Record<string, unknown> = { DestinationId: 'destinationId-000000000001' };
  for (const [configuration, description] of DESTINATIONS) {
    const given = (input as unknown as Record<string, unknown>)[configuration];
    if (typeof given !== 'object' || given === null) continue;
    destination[description] = configuration.includes('S3') ? { ...S3_DEFAULTS, ...given } : { ...given };
  }
  const source =
    type === 'DirectPut'
      ? { DirectPutSourceDescription: { ...(input.DirectPutSourceConfiguration as object | undefined) } }
      : type === 'KinesisStreamAsSource'
        ? {
            KinesisStreamSourceDescription: {
              ...(input.KinesisStreamSourceConfiguration as object | undefined),
              DeliveryStartTimestamp: state.createdAtMs / 1000,
            },
          }
        : undefined;
  return {
    DeliveryStreamName: input.DeliveryStreamName ?? '',
    DeliveryStreamARN: state.arn,
    DeliveryStreamStatus: state.status,
    DeliveryStreamType: type,
    DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
    VersionId: '1',
    CreateTimestamp: state.createdAtMs / 1000,
    LastUpdateTimestamp: state.updatedAtMs / 1000,
    ...(source === undefined ? {} : { Source: source }),
    Destinations: [destination],
    HasMoreDestinations: false,
  };
}

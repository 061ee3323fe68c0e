import { optionalPeer } from '../../aws/optionalPeer.js';

/** The SDK's commands, loaded at the first call: importing rx-firehose loads no AWS SDK. */
export const kinesisSdk: () => Promise<typeof import('@aws-sdk/client-kinesis')> = optionalPeer(
  '@aws-sdk/client-kinesis',
  'fromKinesisStream',
  () => import('@aws-sdk/client-kinesis'),
);

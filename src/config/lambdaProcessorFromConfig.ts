import type { OperatorFunction } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { transformWithLambda } from '../../operators/transformWithLambda.js';
import { asConfigurationError } from './asConfigurationError.js';
import type { ConfigContext } from './ConfigContext.js';
import { configNumber } from './configNumber.js';
import { configRoleArn } from './configRoleArn.js';
import { configString } from './configString.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { LAMBDA_PROCESSOR, MIB } from './ranges.js';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;
const PARAMETERS = ['LambdaArn', 'NumberOfRetries', 'BufferSizeInMBs', 'BufferIntervalInSeconds', 'RoleArn'];

/** A mapped Lambda processor: the operator and a description for progress output. */
export interface LambdaProcessorPlan {
  readonly operator: OperatorFunction<FirehoseRecord, FirehoseRecord>;
  readonly description: string;
}

/**
 * Maps a `Lambda` processor's parameters (`LambdaArn`, `NumberOfRetries`, `BufferSizeInMBs`,
 * `BufferIntervalInSeconds`, `RoleArn`) to `transformWithLambda`: a local handler when the environment has
 * one for the ARN (or the ARN without its qualifier, or the function name), else the Lambda Invoke API.
 * `processing-failed` records go to `errorOutput`.
 *
 * ## Example
 * ```ts
 * lambdaProcessorFromConfig({ LambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:enrich' }, 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0]', ctx, lake);
 * ```
 */
export function lambdaProcessorFromConfig(
  parameters: Readonly<Record<string, { value: string; field: string; nameField: string }>>,
  path: string,
  ctx: ConfigContext,
  errorOutput: ErrorOutput,
): LambdaProcessorPlan {
  for (const [name, { nameField }] of Object.entries(parameters)) {
    if (!PARAMETERS.includes(name))
      throw InvalidConfigurationError.invalid(nameField, name, `a parameter of Lambda processors: ${PARAMETERS.join(', ')}`);
  }
  const arnParameter = parameters.LambdaArn;
  if (arnParameter === undefined)
    throw InvalidConfigurationError.invalid(`${path}.Parameters`, undefined, 'a list with a LambdaArn parameter');
  const arn = configString(arnParameter.value, arnParameter.field, {
    minLength: 1,
    maxLength: 512,
    pattern: LAMBDA_ARN,
    description: 'a Lambda function ARN, arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]',
  })!;
  if (parameters.RoleArn !== undefined) configRoleArn(parameters.RoleArn.value, parameters.RoleArn.field);
  const numberOfRetries = configNumber(
    parameters.NumberOfRetries?.value,
    parameters.NumberOfRetries?.field ?? '',
    LAMBDA_PROCESSOR.retries,
  );
  const sizeMb = configNumber(parameters.BufferSizeInMBs?.value, parameters.BufferSizeInMBs?.field ?? '', LAMBDA_PROCESSOR.size);
  const intervalS = configNumber(
    parameters.BufferIntervalInSeconds?.value,
    parameters.BufferIntervalInSeconds?.field ?? '',
    LAMBDA_PROCESSOR.interval,
  );

  const [, , , functionName, qualifier] = LAMBDA_ARN.exec(arn)!;
  const unqualified = qualifier === undefined ? arn : arn.slice(0, arn.length - qualifier.length - 1);
  const handlers = ctx.lambdaHandlers;
  const local = handlers[arn] ?? handlers[unqualified] ?? handlers[functionName!];
  const options = {
    maxBytes: Math.round(sizeMb * MIB),
    maxMs: intervalS * 1000,
    numberOfRetries,
    errorOutput,
    streamName: ctx.streamName,
    deliveryStreamArn: ctx.streamArn,
    region: ctx.region,
    lambdaArn: arn,
    ...(ctx.sourceKinesisStreamArn === undefined ? {} : { sourceKinesisStreamArn: ctx.sourceKinesisStreamArn }),
    ...(ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler }),
    ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
  };
  const fields = { maxBytes: parameters.BufferSizeInMBs?.field ?? path, maxMs: parameters.BufferIntervalInSeconds?.field ?? path };
  ctx.holdsBytes(options.maxBytes);
  if (local !== undefined) {
    return {
      operator: asConfigurationError(() => transformWithLambda(local, options), fields),
      description: `Lambda ${functionName} (local handler)`,
    };
  }
  const target = { client: ctx.clients.lambda(), functionName: unqualified, ...(qualifier === undefined ? {} : { qualifier }) };
  return { operator: asConfigurationError(() => transformWithLambda(target, options), fields), description: `Lambda ${arn}` };
}

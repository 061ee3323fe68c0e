import type { OperatorFunction } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { appendDelimiterToRecord } from './appendDelimiterToRecord.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { lambdaProcessorFromConfig } from './lambdaProcessorFromConfig.js';

/** Mapped processing: operators in Firehose's order, and what they are, for progress output. */
export interface ProcessingPlan {
  readonly stages: ReadonlyArray<OperatorFunction<FirehoseRecord, FirehoseRecord>>;
  readonly descriptions: readonly string[];
  /** Whether a Lambda processor runs (its `metadata.partitionKeys` feed dynamic partitioning). */
  readonly lambda: boolean;
}

const TYPES = ['Lambda', 'AppendDelimiterToRecord'] as const;
const TYPES_NOT_YET = ['RecordDeAggregation', 'Decompression', 'CloudWatchLogProcessing', 'MetadataExtraction'];
const PARAMETER_NAMES = [
  'LambdaArn',
  'NumberOfRetries',
  'MetadataExtractionQuery',
  'JsonParsingEngine',
  'RoleArn',
  'BufferSizeInMBs',
  'BufferIntervalInSeconds',
  'SubRecordType',
  'Delimiter',
  'CompressionFormat',
  'DataMessageExtraction',
];

/**
 * Maps a `ProcessingConfiguration` (`Enabled`, `Processors`) to operators, applied in Firehose's order
 * whatever the order of the list: the `Lambda` processor (at most one), then `AppendDelimiterToRecord`
 * (a `\n` after every record). Other processor types are refused by name (`MetadataExtraction`, JQ
 * partitioning keys, among them). With `Enabled: false` the processors are checked but do not run; a list
 * of processors without `Enabled` is refused, so that processing never silently stays off.
 *
 * ## Example
 * ```ts
 * const { stages } = processingFromConfig(config.ProcessingConfiguration, 'ExtendedS3DestinationConfiguration.ProcessingConfiguration', ctx, lake);
 * records$.pipe(...stages, bufferBySizeOrTime(), deliverTo(lake));
 * ```
 */
export function processingFromConfig(config: unknown, path: string, ctx: ConfigContext, errorOutput: ErrorOutput): ProcessingPlan {
  const none: ProcessingPlan = { stages: [], descriptions: [], lambda: false };
  if (config === undefined || config === null) return none;
  const fields = checkFields(config, path, { supported: ['Enabled', 'Processors'] });
  if (fields.Enabled !== undefined && typeof fields.Enabled !== 'boolean')
    throw InvalidConfigurationError.invalid(`${path}.Enabled`, fields.Enabled, 'true or false');
  const processors = fields.Processors ?? [];
  if (!Array.isArray(processors)) throw InvalidConfigurationError.invalid(`${path}.Processors`, processors, 'a list of processors');
  if (processors.length > 0 && fields.Enabled === undefined) {
    throw InvalidConfigurationError.invalid(
      `${path}.Enabled`,
      undefined,
      'given with Processors (true to run them, false to keep them off)',
    );
  }

  let lambda: ((out: ErrorOutput) => ReturnType<typeof lambdaProcessorFromConfig>) | undefined;
  let delimiter = false;
  processors.forEach((processor: unknown, i) => {
    const at = `${path}.Processors[${i}]`;
    const p = checkFields(processor, at, { supported: ['Type', 'Parameters'], required: ['Type'] });
    const type = configEnum(p.Type, `${at}.Type`, TYPES, TYPES_NOT_YET);
    const parameters = parametersOf(p.Parameters, `${at}.Parameters`);
    if (type === 'Lambda') {
      if (lambda !== undefined)
        throw InvalidConfigurationError.invalid(`${at}.Type`, type, 'used once (Firehose runs one Lambda processor)');
      lambda = (out) => lambdaProcessorFromConfig(parameters, at, ctx, out);
    } else {
      if (delimiter) throw InvalidConfigurationError.invalid(`${at}.Type`, type, 'used once');
      const first = Object.values(parameters)[0];
      if (first !== undefined)
        throw InvalidConfigurationError.unsupported(first.nameField, 'AppendDelimiterToRecord takes no parameters here (it appends \\n)');
      delimiter = true;
    }
  });
  // Checked even when disabled, so a configuration that loads keeps loading when processing is turned on.
  const lambdaPlan =
    lambda === undefined ? undefined : (lambda as (out: ErrorOutput) => ReturnType<typeof lambdaProcessorFromConfig>)(errorOutput);
  if (fields.Enabled !== true) return none;
  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const descriptions: string[] = [];
  if (lambdaPlan !== undefined) {
    stages.push(lambdaPlan.operator);
    descriptions.push(lambdaPlan.description);
  }
  if (delimiter) {
    stages.push(appendDelimiterToRecord());
    descriptions.push('append \\n');
  }
  return { stages, descriptions, lambda: lambdaPlan !== undefined };
}

/** `[{ ParameterName, ParameterValue }]` → by name, each with its field path; names must be Firehose's and unique. */
function parametersOf(list: unknown, path: string): Record<string, { value: string; field: string; nameField: string }> {
  const out: Record<string, { value: string; field: string; nameField: string }> = {};
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw InvalidConfigurationError.invalid(path, list, 'a list of { ParameterName, ParameterValue }');
  list.forEach((parameter: unknown, i) => {
    const at = `${path}[${i}]`;
    const p = checkFields(parameter, at, { supported: ['ParameterName', 'ParameterValue'], required: ['ParameterName', 'ParameterValue'] });
    const name = configEnum(p.ParameterName, `${at}.ParameterName`, PARAMETER_NAMES);
    if (typeof p.ParameterValue !== 'string' || p.ParameterValue.length === 0 || p.ParameterValue.length > 5120) {
      throw InvalidConfigurationError.invalid(`${at}.ParameterValue`, p.ParameterValue, 'a string of 1 to 5120 characters');
    }
    if (out[name] !== undefined) throw InvalidConfigurationError.invalid(`${at}.ParameterName`, name, 'given once');
    out[name] = { value: p.ParameterValue, field: `${at}.ParameterValue`, nameField: `${at}.ParameterName` };
  });
  return out;
}

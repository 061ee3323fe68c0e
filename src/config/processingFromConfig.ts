import { Buffer } from 'node:buffer';
import type { OperatorFunction } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { appendDelimiterToRecord } from '../processing/appendDelimiterToRecord.js';
import { deaggregateRecords } from '../processing/deaggregateRecords.js';
import { decompressRecords } from '../processing/decompressRecords.js';
import { extractCloudWatchLogMessages } from '../processing/extractCloudWatchLogMessages.js';
import { extractPartitionKeys } from '../processing/extractPartitionKeys.js';
import { jqCompileError } from '../processing/jqCompileError.js';
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
  /** Whether a MetadataExtraction processor runs (its JQ query feeds `!{partitionKeyFromQuery:…}`). */
  readonly metadataExtraction: boolean;
}

const TYPES = [
  'Lambda',
  'AppendDelimiterToRecord',
  'RecordDeAggregation',
  'Decompression',
  'CloudWatchLogProcessing',
  'MetadataExtraction',
] as const;
type ProcessorType = (typeof TYPES)[number];
/** The parameters each processor type takes besides Lambda's (checked by lambdaProcessorFromConfig). */
const PARAMETERS_OF: Readonly<Record<Exclude<ProcessorType, 'Lambda'>, readonly string[]>> = {
  AppendDelimiterToRecord: [],
  RecordDeAggregation: ['SubRecordType', 'Delimiter'],
  Decompression: ['CompressionFormat'],
  CloudWatchLogProcessing: ['DataMessageExtraction'],
  MetadataExtraction: ['MetadataExtractionQuery', 'JsonParsingEngine'],
};
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
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
 * whatever the order of the list: `Decompression` (GZIP), `CloudWatchLogProcessing` (`DataMessageExtraction`),
 * `RecordDeAggregation` (`SubRecordType` JSON or DELIMITED with a base64 `Delimiter`), the `Lambda` processor,
 * `MetadataExtraction` (a JQ query for `!{partitionKeyFromQuery:…}`), then `AppendDelimiterToRecord` (a `\n`
 * after every record). Each type at most once; parameters are Firehose's names, other names are refused.
 * With `Enabled: false` the processors are checked but do not run; a list of processors without `Enabled`
 * is refused, so that processing never silently stays off. What a processor fails goes to `errorOutput`.
 *
 * ## Example
 * ```ts
 * const { stages } = processingFromConfig(config.ProcessingConfiguration, 'ExtendedS3DestinationConfiguration.ProcessingConfiguration', ctx, lake);
 * records$.pipe(...stages, bufferBySizeOrTime(), deliverTo(lake));
 * ```
 */
export function processingFromConfig(config: unknown, path: string, ctx: ConfigContext, errorOutput: ErrorOutput): ProcessingPlan {
  const none: ProcessingPlan = { stages: [], descriptions: [], lambda: false, metadataExtraction: false };
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

  const scheduler = ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler };
  const common = { errorOutput, ...scheduler };
  const built = new Map<ProcessorType, { operator: OperatorFunction<FirehoseRecord, FirehoseRecord>; description: string }>();
  const at = new Map<ProcessorType, string>();
  processors.forEach((processor: unknown, i) => {
    const where = `${path}.Processors[${i}]`;
    const p = checkFields(processor, where, { supported: ['Type', 'Parameters'], required: ['Type'] });
    const type = configEnum(p.Type, `${where}.Type`, TYPES) as ProcessorType;
    const parameters = parametersOf(p.Parameters, `${where}.Parameters`);
    if (built.has(type)) {
      const why = type === 'Lambda' ? 'used once (Firehose runs one Lambda processor)' : 'used once';
      throw InvalidConfigurationError.invalid(`${where}.Type`, type, why);
    }
    at.set(type, where);
    if (type === 'Lambda') {
      const plan = lambdaProcessorFromConfig(parameters, where, ctx, errorOutput);
      built.set(type, plan);
      return;
    }
    for (const [name, { nameField }] of Object.entries(parameters)) {
      if (!PARAMETERS_OF[type].includes(name)) {
        const allowed =
          PARAMETERS_OF[type].length === 0
            ? 'left out: AppendDelimiterToRecord takes no parameters (it appends \\n)'
            : `a parameter of ${type}: ${PARAMETERS_OF[type].join(', ')}`;
        throw InvalidConfigurationError.invalid(nameField, name, allowed);
      }
    }
    const required = (name: string): { value: string; field: string } => {
      const parameter = parameters[name];
      if (parameter === undefined)
        throw InvalidConfigurationError.invalid(`${where}.Parameters`, undefined, `a list with a ${name} parameter`);
      return parameter;
    };
    switch (type) {
      case 'AppendDelimiterToRecord':
        built.set(type, { operator: appendDelimiterToRecord(), description: 'append \\n' });
        break;
      case 'Decompression': {
        const format = parameters.CompressionFormat;
        if (format !== undefined) configEnum(format.value, format.field, ['GZIP']);
        built.set(type, { operator: decompressRecords(common), description: 'gunzip' });
        break;
      }
      case 'CloudWatchLogProcessing': {
        const extraction = required('DataMessageExtraction');
        configEnum(extraction.value, extraction.field, ['true'], ['false']);
        built.set(type, { operator: extractCloudWatchLogMessages(common), description: 'CloudWatch Logs messages' });
        break;
      }
      case 'RecordDeAggregation': {
        const subRecordType = configEnum(required('SubRecordType').value, required('SubRecordType').field, ['JSON', 'DELIMITED']) as
          | 'JSON'
          | 'DELIMITED';
        const delimiter = parameters.Delimiter;
        if (subRecordType === 'JSON' && delimiter !== undefined)
          throw InvalidConfigurationError.invalid(delimiter.nameField, 'Delimiter', 'left out when SubRecordType is JSON');
        if (subRecordType === 'DELIMITED') {
          const d = required('Delimiter');
          if (!BASE64.test(d.value))
            throw InvalidConfigurationError.invalid(d.field, d.value, 'the delimiter in base64, e.g. IyMjIw== for ####');
          built.set(type, {
            operator: deaggregateRecords({ subRecordType, delimiter: Buffer.from(d.value, 'base64'), ...common }),
            description: `de-aggregate (${JSON.stringify(Buffer.from(d.value, 'base64').toString('utf8'))})`,
          });
        } else built.set(type, { operator: deaggregateRecords({ subRecordType, ...common }), description: 'de-aggregate JSON' });
        break;
      }
      case 'MetadataExtraction': {
        const query = required('MetadataExtractionQuery');
        const engine = required('JsonParsingEngine');
        configEnum(engine.value, engine.field, ['JQ-1.6']);
        // jq loads asynchronously: the query is compiled while the stream loads, before it reads a record.
        ctx.atLoad(query.field, async () => {
          const message = await jqCompileError(query.value);
          if (message !== undefined)
            throw InvalidConfigurationError.invalid(query.field, query.value, `a jq filter that compiles (${message})`);
        });
        built.set(type, { operator: extractPartitionKeys({ query: query.value, ...common }), description: `JQ ${query.value}` });
        break;
      }
    }
  });
  if (built.has('CloudWatchLogProcessing') && !built.has('Decompression'))
    throw InvalidConfigurationError.invalid(
      `${at.get('CloudWatchLogProcessing')}.Type`,
      'CloudWatchLogProcessing',
      'used with a Decompression processor (subscription records are gzipped)',
    );
  // Checked even when disabled, so a configuration that loads keeps loading when processing is turned on.
  if (fields.Enabled !== true) return none;
  const order: ProcessorType[] = [
    'Decompression',
    'CloudWatchLogProcessing',
    'RecordDeAggregation',
    'Lambda',
    'MetadataExtraction',
    'AppendDelimiterToRecord',
  ];
  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const descriptions: string[] = [];
  for (const type of order) {
    const plan = built.get(type);
    if (plan === undefined) continue;
    stages.push(plan.operator);
    descriptions.push(plan.description);
  }
  return { stages, descriptions, lambda: built.has('Lambda'), metadataExtraction: built.has('MetadataExtraction') };
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

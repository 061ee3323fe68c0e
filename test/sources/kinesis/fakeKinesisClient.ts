/**
 * FakeKinesisClient: a TEST DOUBLE of the documented Kinesis Data Streams API, in process, implementing only
 * the three calls `fromKinesisStream` makes (ListShards, GetShardIterator, GetRecords), for what kinesalite
 * cannot produce: throttling (`ProvisionedThroughputExceededException`), expired iterators, ListShards paging
 * (kinesalite ignores MaxResults and never pages), `MillisBehindLatest`, and exact timing in virtual time.
 * Everything kinesalite can do is tested against kinesalite.
 *
 * Behaviour follows the API reference: iterators point at a position in a shard; GetRecords returns up to
 * `Limit` records from there and the next iterator, and `NextShardIterator` is absent once a closed shard
 * was read past its last record; errors are the SDK's own exception classes. Every call is logged with the
 * virtual time at which it was made.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  type _Record,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommandOutput,
  type ListShardsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { SchedulerLike } from 'rxjs';
import type { KinesisReadClient } from '../../../src/sources/kinesis/index.js';

type CommandName = 'ListShards' | 'GetShardIterator' | 'GetRecords';

export interface FakeShard {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  closed: boolean;
  readonly records: _Record[];
}

export interface FakeCall {
  readonly atMs: number;
  readonly command: CommandName;
  readonly input: Record<string, unknown>;
}

const metadata = { $metadata: {} };

/** The SDK's own throttling error, as Kinesis sends it when a shard's read limit is exceeded. */
export function throttled(): Error {
  return new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', ...metadata });
}

/** The SDK's own expired-iterator error. */
export function expiredIterator(): Error {
  return new ExpiredIteratorException({ message: 'Iterator expired', ...metadata });
}

/** An error by name, shaped like the SDK's service exceptions (`name`, `$fault`, `$metadata`). */
export function serviceError(name: string, message = name, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: fault === 'client' ? 400 : 500 } });
}

export class FakeKinesisClient implements KinesisReadClient {
  readonly calls: FakeCall[] = [];
  readonly shards: FakeShard[] = [];
  /** Shards per ListShards page (kinesalite ignores MaxResults; real Kinesis pages). */
  pageSize = 1_000;
  /** What GetRecords reports as MillisBehindLatest: by default 0 when the response reached the shard's newest record, else 1000 per record left. */
  millisBehind: (recordsLeft: number) => number = (left) => left * 1_000;
  readonly #failures: Array<{ command: CommandName; error: Error }> = [];
  readonly #rules: Array<{ command: CommandName; rule: (input: Record<string, unknown>) => Error | undefined }> = [];
  #sequence = 0n;

  constructor(private readonly scheduler: SchedulerLike) {}

  addShard(shardId: string, parents: { parentShardId?: string; adjacentParentShardId?: string } = {}): FakeShard {
    const shard: FakeShard = { shardId, ...parents, closed: false, records: [] };
    this.shards.push(shard);
    return shard;
  }

  /** Appends records to a shard, with increasing sequence numbers (56 digits, as Kinesis's). */
  put(shardId: string, ...data: string[]): string[] {
    const shard = this.#shard(shardId);
    return data.map((d) => {
      const sequenceNumber = (49_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + ++this.#sequence * 1_000n).toString();
      shard.records.push({
        SequenceNumber: sequenceNumber,
        Data: new TextEncoder().encode(d),
        PartitionKey: `pk-${d}`,
        ApproximateArrivalTimestamp: new Date(this.scheduler.now()),
      });
      return sequenceNumber;
    });
  }

  /** The next `times` calls of `command` fail with `error()`. */
  failNext(command: CommandName, times: number, error: () => Error): this {
    for (let i = 0; i < times; i++) this.#failures.push({ command, error: error() });
    return this;
  }

  /** Every later call of `command` for which `rule` returns an error fails with it (after those queued by `failNext`). */
  failWhen(command: CommandName, rule: (input: Record<string, unknown>) => Error | undefined): this {
    this.#rules.push({ command, rule });
    return this;
  }

  callsOf(command: CommandName): FakeCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  send(command: ListShardsCommand): Promise<ListShardsCommandOutput>;
  send(command: GetShardIteratorCommand): Promise<GetShardIteratorCommandOutput>;
  send(command: GetRecordsCommand): Promise<GetRecordsCommandOutput>;
  async send(command: ListShardsCommand | GetShardIteratorCommand | GetRecordsCommand): Promise<unknown> {
    const name: CommandName =
      command instanceof ListShardsCommand ? 'ListShards' : command instanceof GetShardIteratorCommand ? 'GetShardIterator' : 'GetRecords';
    this.calls.push({ atMs: this.scheduler.now(), command: name, input: { ...command.input } });
    const failure = this.#failures.findIndex((f) => f.command === name);
    if (failure >= 0) throw this.#failures.splice(failure, 1)[0]!.error;
    for (const { rule } of this.#rules.filter((r) => r.command === name)) {
      const error = rule({ ...command.input });
      if (error !== undefined) throw error;
    }
    if (command instanceof ListShardsCommand) return this.#listShards(command.input.NextToken);
    if (command instanceof GetShardIteratorCommand) return this.#getShardIterator(command.input);
    return this.#getRecords(command.input.ShardIterator!, command.input.Limit ?? 10_000);
  }

  #listShards(nextToken: string | undefined): ListShardsCommandOutput {
    const start = nextToken === undefined ? 0 : Number(nextToken.replace('page-', ''));
    const page = this.shards.slice(start, start + this.pageSize);
    const Shards: Shard[] = page.map((s) => ({
      ShardId: s.shardId,
      ParentShardId: s.parentShardId,
      AdjacentParentShardId: s.adjacentParentShardId,
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
      SequenceNumberRange: { StartingSequenceNumber: '0', EndingSequenceNumber: s.closed ? '9'.repeat(56) : undefined },
    }));
    const next = start + this.pageSize;
    return { Shards, NextToken: next < this.shards.length ? `page-${next}` : undefined, ...metadata };
  }

  #getShardIterator(input: GetShardIteratorCommand['input']): GetShardIteratorCommandOutput {
    const shard = this.#shard(input.ShardId!);
    let index: number;
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        index = 0;
        break;
      case 'LATEST':
        index = shard.records.length;
        break;
      case 'AT_TIMESTAMP': {
        const at = input.Timestamp!.getTime();
        index = shard.records.findIndex((r) => r.ApproximateArrivalTimestamp!.getTime() >= at);
        if (index < 0) index = shard.records.length;
        break;
      }
      case 'AFTER_SEQUENCE_NUMBER':
      case 'AT_SEQUENCE_NUMBER': {
        const at = shard.records.findIndex((r) => r.SequenceNumber === input.StartingSequenceNumber);
        if (at < 0)
          throw serviceError(
            'InvalidArgumentException',
            `StartingSequenceNumber ${input.StartingSequenceNumber} is not in ${shard.shardId}`,
          );
        index = input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? at + 1 : at;
        break;
      }
      default:
        throw serviceError('InvalidArgumentException', `bad ShardIteratorType ${input.ShardIteratorType}`);
    }
    return { ShardIterator: `${shard.shardId}@${index}`, ...metadata };
  }

  #getRecords(iterator: string, limit: number): GetRecordsCommandOutput {
    const [shardId, at] = iterator.split('@') as [string, string];
    const shard = this.#shard(shardId);
    const index = Number(at);
    const Records = shard.records.slice(index, index + limit);
    const next = index + Records.length;
    const ended = shard.closed && next >= shard.records.length && Records.length === 0;
    return {
      Records,
      NextShardIterator: ended ? undefined : `${shardId}@${next}`,
      MillisBehindLatest: this.millisBehind(shard.records.length - next),
      ...metadata,
    };
  }

  #shard(shardId: string): FakeShard {
    const shard = this.shards.find((s) => s.shardId === shardId);
    if (shard === undefined) throw serviceError('ResourceNotFoundException', `Shard ${shardId} does not exist`);
    return shard;
  }
}

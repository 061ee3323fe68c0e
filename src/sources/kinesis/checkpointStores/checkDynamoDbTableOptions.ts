import { InvalidOptionError } from '../../../errors/InvalidOptionError.js';
import { checkKind } from '../../../options/checkKind.js';

/** What {@link checkDynamoDbTableOptions} checks: the options every user of the checkpoint table shares. */
export interface DynamoDbTableOptions<Client> {
  readonly client: Client;
  readonly tableName: string;
  readonly createTable?: boolean | undefined;
}

/**
 * Checks the options that name the DynamoDB table of checkpoints and leases (`client`, `tableName`,
 * `createTable`), for `dynamoDbCheckpointStore` and `dynamoDbLeases` alike; throws {@link InvalidOptionError}
 * naming `owner`, the option, the value and what is allowed.
 */
export function checkDynamoDbTableOptions<Client extends { send: unknown }>(
  owner: string,
  options: DynamoDbTableOptions<Client>,
): { client: Client; tableName: string; createTable: boolean } {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(owner, 'options', options, 'an object with client and tableName');
  const { client, tableName } = options;
  if (typeof client !== 'object' || client === null || typeof client.send !== 'function') {
    throw new InvalidOptionError(owner, 'client', client, 'a DynamoDBClient (an object with send)');
  }
  if (typeof tableName !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new InvalidOptionError(owner, 'tableName', tableName, 'a DynamoDB table name: 3–255 characters of [a-zA-Z0-9_.-]');
  }
  const createTable = checkKind(owner, 'createTable', options.createTable, 'boolean', false);
  return { client, tableName, createTable };
}

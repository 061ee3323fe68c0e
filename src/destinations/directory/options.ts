import { resolve } from 'node:path';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkObjectStoreOptions, type ObjectStoreLayout, type ObjectStoreOptions } from '../objectStore/objectStoreOptions.js';

export const NAME = 'directoryDestination';

export interface DirectoryDestinationOptions extends ObjectStoreOptions {
  /** The directory that stands for the bucket; created when missing. */
  readonly path: string;
  /**
   * Flush each file to disk (fsync) before renaming it into place and acknowledging the batch, so that a
   * delivered batch survives a power failure, not only a crash of the process. Default `true`.
   */
  readonly fsync?: boolean | undefined;
}

export interface DirectoryConfig extends ObjectStoreLayout {
  readonly root: string;
  readonly fsync: boolean;
}

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option. */
export function checkDirectoryOptions(options: DirectoryDestinationOptions): DirectoryConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with at least path');
  if (typeof options.path !== 'string' || options.path === '')
    throw new InvalidOptionError(NAME, 'path', options.path, 'a non-empty directory path');
  const fsync = options.fsync ?? true;
  if (typeof fsync !== 'boolean') throw new InvalidOptionError(NAME, 'fsync', fsync, 'true or false');
  return { ...checkObjectStoreOptions(NAME, options), root: resolve(options.path), fsync };
}

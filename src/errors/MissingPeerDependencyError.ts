/**
 * An optional peer dependency (an AWS SDK client package) is not installed, yet a piece that needs it was
 * used. Permanent: installing the package is the fix.
 */
export class MissingPeerDependencyError extends Error {
  override readonly name = 'MissingPeerDependencyError';

  constructor(
    /** The package, e.g. `@aws-sdk/client-s3`. */
    readonly packageName: string,
    /** What needs it, e.g. `s3Destination`. */
    readonly neededBy: string,
    options?: ErrorOptions,
  ) {
    super(`${neededBy} needs ${packageName}, an optional peer dependency of rx-firehose: npm install ${packageName}`, options);
  }
}

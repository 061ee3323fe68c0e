/**
 * A source's in-flight budget has been full and nothing it emitted settled for `stalledMs`: reading has
 * stopped, and unless something downstream is still working on the records (a destination retrying for a
 * long time), it will never go on. The error of a source with `onStall: 'error'`; with the default
 * (`'warn'`) the same message is a process warning (`SettlementStallWarning`); metrics either way.
 *
 * The usual cause is an operator that replaces records with copies, `map(r => ({ ...r, data: f(r.data) }))`,
 * in front of a sink that settles the copies (the settlement stayed with the originals), or a `filter` that
 * drops records without settling them. Use `mapRecords` and `filterRecords` from `rx-firehose/operators`.
 *
 * ## Example
 * ```ts
 * import { SettlementStallError } from 'rx-firehose';
 * pipeline$.subscribe({ error: (err) => err instanceof SettlementStallError && console.error(err.heldBytes) });
 * ```
 */
export class SettlementStallError extends Error {
  override readonly name = 'SettlementStallError';

  constructor(
    /** The source, e.g. `fromLines`, or the delivery stream, e.g. `delivery stream clicks` (direct PUT). */
    readonly where: string,
    /** Bytes emitted and not settled (the full budget). */
    readonly heldBytes: number,
    /** How long nothing settled while the budget was full. */
    readonly stalledMs: number,
  ) {
    super(
      `${where}: reading has stopped: ${heldBytes} bytes of records are in flight (the budget is full) and none settled for ${stalledMs} ms. ` +
        'Likely cause: an operator replaced records with copies, e.g. map(r => ({ ...r, data: f(r.data) })), so settling the copies settles nothing, ' +
        "or a filter dropped records without settling them; use mapRecords and filterRecords from 'rx-firehose/operators'. " +
        'If a destination is merely retrying for that long, raise stallTimeoutMs.',
    );
  }
}

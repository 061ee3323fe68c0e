import { EMPTY, type Observable, type OperatorFunction, catchError, concat, defer, throwError } from 'rxjs';

/**
 * Runs `body` on the source's values and passes a source error on only once `body` has put out what it owes
 * for the values already received (deliveries, invocations, failure writes): an error upstream must not abort
 * work that can still succeed. `body` is called once per subscription.
 */
export function errorAfterDrain<T, R>(body: (values: Observable<T>) => Observable<R>): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      let sourceError: { error: unknown } | undefined;
      const values = source.pipe(
        catchError((error: unknown) => {
          sourceError = { error };
          return EMPTY;
        }),
      );
      return concat(
        body(values),
        defer(() => (sourceError === undefined ? EMPTY : throwError(() => sourceError!.error))),
      );
    });
}

import { defer, from, map, mergeMap, toArray, type Observable, type OperatorFunction } from 'rxjs';

/**
 * Like `mergeMap` with a concurrency limit, but emits each projection's values in the order of the
 * source values, not in the order projections finish: a projection's values are held until every earlier
 * one completed.
 */
export function mergeMapInOrder<T, R>(project: (value: T) => Observable<R>, concurrency: number): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      let nextIndex = 0;
      let nextToEmit = 0;
      const finished = new Map<number, R[]>();
      return source.pipe(
        mergeMap((value) => {
          const index = nextIndex++;
          return project(value).pipe(
            toArray(),
            map((values) => ({ index, values })),
          );
        }, concurrency),
        mergeMap(({ index, values }) => {
          finished.set(index, values);
          const ready: R[] = [];
          for (let v = finished.get(nextToEmit); v !== undefined; v = finished.get(nextToEmit)) {
            finished.delete(nextToEmit++);
            ready.push(...v);
          }
          return from(ready);
        }),
      );
    });
}

import { from, isObservable, of, take, type Observable, type ObservableInput } from 'rxjs';
import type { BuiltRequest, DeliveryRequest } from '../destinations/Destination.js';

/** What a request builder returned (the result, a Promise or an Observable) as an Observable of its first result. */
export function builtRequestOf<R extends DeliveryRequest>(
  built: ObservableInput<BuiltRequest<R>> | BuiltRequest<R>,
): Observable<BuiltRequest<R>> {
  const plain =
    typeof built === 'object' &&
    built !== null &&
    !isObservable(built) &&
    typeof (built as { then?: unknown }).then !== 'function' &&
    typeof (built as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function' &&
    typeof (built as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function';
  return plain ? of(built as BuiltRequest<R>) : from(built as ObservableInput<BuiltRequest<R>>).pipe(take(1));
}

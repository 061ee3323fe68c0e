/** Whether the value being emitted now is the one that filled its source's in-flight budget. */
let filling = false;

/**
 * Runs `emit`, a source's synchronous emission of the record that fills its in-flight budget, telling the
 * buffers that receive it in that same call ({@link budgetFull}) that nothing more comes until records settle.
 *
 * A buffer that kept its partial batch then would hold records that cannot settle, so their source would
 * read nothing more until the batch's `maxMs` passed: a full budget must flush what is buffered. Operators
 * between the source and the buffer that pass values on synchronously (`map`, `filter`, `toRecords`) pass
 * the signal on with them; one that re-emits later does not, and the buffer then waits for its `maxMs`.
 */
export function emitFillingBudget(emit: () => void): void {
  const was = filling;
  filling = true;
  try {
    emit();
  } finally {
    filling = was;
  }
}

/**
 * Whether the value received now filled its source's in-flight budget (see {@link emitFillingBudget}): the
 * source reads nothing more until records settle, so a buffer must not wait for more.
 */
export function budgetFull(): boolean {
  return filling;
}

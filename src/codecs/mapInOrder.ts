/**
 * Runs `task` on every item of `items` with at most `limit` tasks in flight at a time and resolves to
 * the results in the items' order. Items are pulled from the iterable lazily, only when a task slot
 * is free, so a generator that allocates per item keeps at most `limit` allocations alive. The first
 * failure rejects the whole call; tasks already running are left to finish, and no new ones start.
 *
 * Used to keep the libuv thread pool busy with native (de)compression calls without flooding it:
 * the pool is shared with file-system and DNS work, and has 4 threads by default.
 */
export async function mapInOrder<T, R>(items: Iterable<T>, limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const iterator = items[Symbol.iterator]();
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed) {
      const step = iterator.next();
      if (step.done === true) return;
      const index = next++;
      try {
        results[index] = await task(step.value, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  return results;
}

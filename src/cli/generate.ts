/**
 * Clickstream-like JSON lines, `count` of them (forever if `Infinity`), at most `ratePerSecond` a second
 * (no limit if `Infinity`), in chunks of at most 64 KiB, as an async iterable for `fromLines`.
 */
export async function* generateJsonLines(count: number, ratePerSecond: number, signal: AbortSignal): AsyncGenerator<string> {
  const pages = ['/', '/search', '/cart', '/checkout', '/products/1', '/products/2', '/help'];
  const started = Date.now();
  let sent = 0;
  while (sent < count && !signal.aborted) {
    // At most 64 KiB (one line more would pass it): the main job's runs of lines are 64 KiB, so a chunk is one run.
    let chunk = '';
    while (sent < count) {
      const id = sent;
      const line =
        JSON.stringify({
          id,
          user: `user-${(id * 7919) % 10_007}`,
          event: id % 11 === 0 ? 'purchase' : 'click',
          page: pages[id % pages.length],
          at: new Date(started + id).toISOString(),
        }) + '\n';
      if (chunk.length > 0 && chunk.length + line.length > 65_536) break;
      chunk += line;
      sent++;
    }
    yield chunk;
    if (ratePerSecond !== Infinity) {
      const aheadMs = (sent / ratePerSecond) * 1000 - (Date.now() - started);
      if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
  }
}

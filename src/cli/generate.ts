/**
 * Clickstream-like JSON lines, `count` of them (forever if `Infinity`), at most `ratePerSecond` a second
 * (no limit if `Infinity`), in chunks of about 64 KiB, as an async iterable for `fromLines`.
 */
export async function* generateJsonLines(count: number, ratePerSecond: number, signal: AbortSignal): AsyncGenerator<string> {
  const pages = ['/', '/search', '/cart', '/checkout', '/products/1', '/products/2', '/help'];
  const started = Date.now();
  let sent = 0;
  while (sent < count && !signal.aborted) {
    let chunk = '';
    while (chunk.length < 65_536 && sent < count) {
      const id = sent++;
      chunk +=
        JSON.stringify({
          id,
          user: `user-${(id * 7919) % 10_007}`,
          event: id % 11 === 0 ? 'purchase' : 'click',
          page: pages[id % pages.length],
          at: new Date(started + id).toISOString(),
        }) + '\n';
    }
    yield chunk;
    if (ratePerSecond !== Infinity) {
      const aheadMs = (sent / ratePerSecond) * 1000 - (Date.now() - started);
      if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
  }
}

/** Runs `work` once to warm up, then `rounds` times, and returns the median wall time in ms. */
export function medianMs(work: () => void, rounds: number): number {
  work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Formats a rate such as `19.8 M records/s`. */
export function perSecond(count: number, ms: number, unit: string): string {
  const rate = (count / ms) * 1000;
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(1)} M ${unit}/s`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)} k ${unit}/s`;
  return `${rate.toFixed(1)} ${unit}/s`;
}

/**
 * Median wall times in ms of `a` and `b`, run alternately (a, b, b, a, …) after one warm-up each, so that a
 * neighbour's load on a shared machine weighs on both alike.
 */
export function alternatingMediansMs(a: () => void, b: () => void, rounds: number): [number, number] {
  a();
  b();
  const times: [number[], number[]] = [[], []];
  const time = (work: () => void, into: number[]): void => {
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    work();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      time(a, times[0]);
      time(b, times[1]);
    } else {
      time(b, times[1]);
      time(a, times[0]);
    }
  }
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [median(times[0]), median(times[1])];
}

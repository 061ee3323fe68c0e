import type { BodyBytesBudget } from './readBodyChunks.js';

/** What one request holds of a {@link concurrentBodyBytes} budget, and how it gives it back. */
export interface RequestBodyBytes {
  /** Pass it to `readBodyChunks`: each chunk read is reserved in the listener's budget. */
  readonly budget: BodyBytesBudget;
  /** Gives back everything this request reserved: call it once the request no longer holds its body. */
  release(): void;
}

/**
 * A budget of request-body bytes shared by every request one listener serves at once: each request reserves
 * its chunks as they arrive and releases them once answered, and a chunk that would pass `maxBytes` is
 * refused (`readBodyChunks` answers 503 and closes the connection). So many slow or stuck senders hold at most
 * `maxBytes` between them, whatever each body's own limit. Call the returned function once per request.
 */
export function concurrentBodyBytes(maxBytes: number): () => RequestBodyBytes {
  let held = 0;
  return () => {
    let mine = 0;
    return {
      budget: {
        maxBytes,
        reserve: (bytes) => {
          if (held + bytes > maxBytes) return false;
          held += bytes;
          mine += bytes;
          return true;
        },
        fits: (bytes) => held + bytes <= maxBytes,
      },
      release: () => {
        held -= mine;
        mine = 0;
      },
    };
  };
}

import { describe, expect, it } from 'vitest';
import { fitsInBatch } from '../../src/batching/fitsInBatch.js';

// The one "does this item fit" rule of the buffer, the Lambda stage and request planning.
describe('fitsInBatch', () => {
  it('should let the first item of a batch in, however large', () => {
    expect(fitsInBatch(0, 0, 10_000, 100)).toBe(true);
    expect(fitsInBatch(0, 0, 10_000, 100, 1)).toBe(true);
  });

  it('should let an item in while the batch stays within maxBytes, exactly full included', () => {
    expect(fitsInBatch(1, 60, 40, 100)).toBe(true);
    expect(fitsInBatch(1, 60, 41, 100)).toBe(false);
  });

  it('should keep a batch below maxCount items', () => {
    expect(fitsInBatch(2, 0, 0, 100, 3)).toBe(true);
    expect(fitsInBatch(3, 0, 0, 100, 3)).toBe(false);
  });
});

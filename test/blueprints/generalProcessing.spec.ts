import { describe, expect, it } from 'vitest';
import { generalProcessing } from '../../src/blueprints/index.js';
import { runBlueprint } from './support.js';

describe('general processing blueprint', () => {
  it('should pass every record through unchanged', async () => {
    const { texts, failures } = await runBlueprint(generalProcessing, ['{"a":1}\n', 'plain', 'ünïcödé']);
    expect(texts).toEqual(['{"a":1}\n', 'plain', 'ünïcödé']);
    expect(failures).toEqual([]);
  });
});

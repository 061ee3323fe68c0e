import { describe, expect, it } from 'vitest';
import { attachSettlement, carrySettlement, Settlement, settleRecord, settlementOf, type SettlementOutcome } from '../../src/index.js';
import { recordOfSize } from '../../src/testing/index.js';

const logged = (): { log: SettlementOutcome[]; s: Settlement } => {
  const log: SettlementOutcome[] = [];
  return { log, s: new Settlement((o) => log.push(o)) };
};

describe('Settlement', () => {
  it('should tell its owner exactly once', () => {
    const { log, s } = logged();
    expect(s.settled).toBe(false);
    expect(s.settle('delivered')).toBe(true);
    expect(s.settle('failed')).toBe(false);
    expect(log).toEqual(['delivered']);
    expect(s.outcome).toBe('delivered');
  });

  it('should settle a forked settlement when every part did, with the combined outcome', () => {
    for (const [parts, expected] of [
      [['delivered', 'delivered'], 'delivered'],
      [['delivered', 'failed'], 'failed'],
      [['dropped', 'delivered'], 'delivered'],
      [['dropped', 'dropped'], 'dropped'],
    ] as const) {
      const { log, s } = logged();
      const forks = s.fork(2);
      forks[0]!.settle(parts[0]);
      expect(log).toEqual([]);
      forks[0]!.settle(parts[0]); // a part settling twice counts once
      expect(log).toEqual([]);
      forks[1]!.settle(parts[1]);
      expect(log).toEqual([expected]);
    }
  });

  it('should refuse to fork a settled settlement or into no parts', () => {
    const { s } = logged();
    expect(() => s.fork(0)).toThrow(RangeError);
    s.settle('dropped');
    expect(() => s.fork(2)).toThrow('already settled');
  });

  it('should settle every member of Settlement.all', () => {
    const a = logged();
    const b = logged();
    Settlement.all([a.s, b.s]).settle('failed');
    expect([a.log, b.log]).toEqual([['failed'], ['failed']]);
  });
});

describe('the side table', () => {
  it('should be invisible to equality, keys and JSON', () => {
    const plain = recordOfSize(3, { recordId: 'x' });
    const tracked = attachSettlement(recordOfSize(3, { recordId: 'x' }), logged().s);
    expect(tracked).toEqual(plain);
    expect(tracked).toStrictEqual(plain);
    expect(Object.keys(tracked)).toEqual(Object.keys(plain));
    expect({ ...tracked }).toStrictEqual(plain);
    expect(settlementOf({ ...tracked })).toBeUndefined(); // a copy does not inherit it
    expect(JSON.stringify(tracked)).toBe(JSON.stringify(plain));
    expect(settlementOf(tracked)).toBeInstanceOf(Settlement);
    expect(settlementOf(plain)).toBeUndefined();
    expect(settlementOf('a string')).toBeUndefined();
  });

  it('should keep working when a record is frozen after its settlement was attached', () => {
    const first = logged();
    const second = logged();
    const record = Object.freeze(attachSettlement(recordOfSize(1), first.s));
    expect(settlementOf(record)).toBe(first.s);
    attachSettlement(record, second.s);
    expect(settlementOf(record)).toBe(second.s);
    carrySettlement(record, recordOfSize(2));
    expect(settlementOf(record)).toBeUndefined();
  });

  it('should work for frozen records too', () => {
    const { log, s } = logged();
    const record = attachSettlement(Object.freeze(recordOfSize(1)), s);
    expect(settleRecord(record, 'delivered')).toBe(true);
    expect(log).toEqual(['delivered']);
  });

  it('should let user code settle a record it consumed itself', () => {
    const { log, s } = logged();
    const record = attachSettlement(recordOfSize(1), s);
    expect(settleRecord(record, 'dropped')).toBe(true);
    expect(settleRecord(record, 'dropped')).toBe(false);
    expect(settleRecord(recordOfSize(1), 'dropped')).toBe(false);
    expect(log).toEqual(['dropped']);
  });
});

describe('carrySettlement', () => {
  it('should hand one record’s settlement to its replacement', () => {
    const { log, s } = logged();
    const old = attachSettlement(recordOfSize(1), s);
    const replacement = recordOfSize(2);
    carrySettlement(old, replacement);
    expect(settlementOf(old)).toBeUndefined();
    settleRecord(replacement, 'delivered');
    expect(log).toEqual(['delivered']);
  });

  it('should settle one record only when all the records derived from it settled (de-aggregation)', () => {
    const { log, s } = logged();
    const parent = attachSettlement(recordOfSize(1), s);
    const children = [recordOfSize(1), recordOfSize(1), recordOfSize(1)];
    carrySettlement(parent, children);
    settleRecord(children[0], 'delivered');
    settleRecord(children[2], 'dropped');
    expect(log).toEqual([]);
    settleRecord(children[1], 'delivered');
    expect(log).toEqual(['delivered']);
  });

  it('should settle several records through the one that stands for them', () => {
    const a = logged();
    const b = logged();
    const merged = recordOfSize(2);
    carrySettlement([attachSettlement(recordOfSize(1), a.s), recordOfSize(1), attachSettlement(recordOfSize(1), b.s)], merged);
    settleRecord(merged, 'failed');
    expect([a.log, b.log]).toEqual([['failed'], ['failed']]);
  });

  it('should settle as dropped when nothing stands for the old records', () => {
    const { log, s } = logged();
    carrySettlement(attachSettlement(recordOfSize(1), s), []);
    expect(log).toEqual(['dropped']);
  });

  it('should attach nothing when the old records have no settlement', () => {
    const replacement = recordOfSize(1);
    carrySettlement(recordOfSize(1), replacement);
    expect(settlementOf(replacement)).toBeUndefined();
  });
});

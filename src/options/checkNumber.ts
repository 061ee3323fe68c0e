import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** The rule a numeric option must satisfy. Bounds are inclusive unless `minExclusive` is set. */
export interface NumberRule {
  readonly min?: number | undefined;
  readonly minExclusive?: boolean | undefined;
  readonly max?: number | undefined;
  readonly integer?: boolean | undefined;
  /** Unit shown in the message, e.g. `bytes` or `ms`. */
  readonly unit?: string | undefined;
}

/**
 * Returns `value`, or `fallback` when `value` is `undefined`; throws {@link InvalidOptionError} naming
 * the component, the option, the value and the allowed range when the value breaks `rule`.
 * Non-numbers, `NaN` and infinities are always refused.
 */
export function checkNumber(component: string, option: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new InvalidOptionError(component, option, value, describeRule(rule));
  return value;
}

function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a finite number';
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`${rule.minExclusive ? '>' : '≥'} ${rule.min}`);
  if (rule.max !== undefined) bounds.push(`≤ ${rule.max}`);
  const unit = rule.unit === undefined ? '' : ` (${rule.unit})`;
  return `${kind}${bounds.length > 0 ? ' ' + bounds.join(' and ') : ''}${unit}`;
}

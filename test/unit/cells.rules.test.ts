/** The rule both warehouse adapters apply to INT64, NUMERIC and BIGNUMERIC cells: a number only when it is exact. */
import { describe, expect, it } from 'vitest';
import { exactNumber } from '../../src/adapters/warehouse/cells.js';

describe('exactNumber', () => {
  it.each([
    ['42', 42],
    ['-7', -7],
    ['9007199254740991', 9007199254740991],
    ['9007199254740993', '9007199254740993'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['1.50', 1.5],
    ['0.000000001', 1e-9],
    ['123456789012.345', 123456789012.345],
    ['12345678901234567.123456789', '12345678901234567.123456789'],
    ['99999999999999999999999999999.999999999', '99999999999999999999999999999.999999999'],
    ['1E+3', 1000],
    ['not a number', 'not a number'],
  ])('%s → %j', (text, cell) => {
    expect(exactNumber(text)).toEqual(cell);
  });
});

import { describe, expect, it } from 'vitest';
import { fmtNum, fmtPct, fmtUs, formatCompact, formatMs, formatNum, formatRate, formatS, formatShare, formatSpecNum, formatUs, withoutBinaryNoise } from '../../src/core/units.js';

describe('prose units', () => {
  it('gives a duration in the unit that reads best, trailing zeros trimmed', () => {
    expect(formatUs(850)).toBe('850 µs');
    expect(formatUs(999.6)).toBe('1000 µs');
    expect(formatUs(80_300)).toBe('80.3 ms');
    expect(formatUs(5_000)).toBe('5 ms');
    expect(formatUs(250_400)).toBe('250 ms');
    expect(formatUs(1_250_000)).toBe('1.25 s');
    expect(formatUs(12_340_000)).toBe('12.3 s');
    expect(formatUs(Infinity)).toBe('∞');
    expect(formatS(0.02)).toBe('20 ms');
    expect(formatMs(1.5)).toBe('1.5 ms');
  });

  it('gives shares, plain numbers and rates without false precision', () => {
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(0.0005)).toBe('0.05%');
    expect(formatShare(0.4123)).toBe('41.2%');
    expect(formatShare(NaN)).toBe('∞');
    expect(formatNum(2.345, 1)).toBe('2.3');
    expect(formatNum(2)).toBe('2');
    expect(formatRate(137.99)).toBe('138');
    expect(formatRate(13.84)).toBe('13.8');
    expect(formatRate(0.05)).toBe('0.05');
    expect(formatSpecNum(200)).toBe('200');
    expect(formatSpecNum(0.12345)).toBe('0.123');
  });

  it('never prints a huge number in full: three significant digits and its exponent, in every style', () => {
    expect(formatNum(1.6666666666666665e306)).toBe('1.67e+306');
    expect(formatRate(5e300)).toBe('5.00e+300');
    expect(formatShare(2e298)).toBe('2.00e+300%');
    expect(fmtNum(1.6666666666666665e306)).toBe('1.67e+306');
    expect(formatCompact(3.3e12, 'count')).toBe('3.30e+12');
    expect(formatNum(343.1448571428572)).toBe('343.14');
    expect(fmtUs(1e300)).toBe('1.67e+292 min');
    expect(fmtPct(2e298)).toBe('2.00e+300%');
    expect(formatUs(1e300)).toBe('1.00e+294 s');
  });
});

describe('table units', () => {
  it('keeps fixed decimals so a column reads evenly', () => {
    expect(fmtUs(0.94)).toBe('0.9 µs');
    expect(fmtUs(160.4)).toBe('160 µs');
    expect(fmtUs(5_000)).toBe('5.00 ms');
    expect(fmtUs(12_340)).toBe('12.3 ms');
    expect(fmtUs(1_200_000)).toBe('1.20 s');
    expect(fmtUs(90_000_000)).toBe('1.5 min');
    expect(fmtUs(Infinity)).toBe('-');
    expect(fmtPct(0)).toBe('0%');
    expect(fmtPct(0.0004)).toBe('<0.1%');
    expect(fmtPct(0.02)).toBe('2.0%');
    expect(fmtPct(0.876)).toBe('88%');
    expect(fmtNum(3)).toBe('3');
    expect(fmtNum(3.14159, 2)).toBe('3.14');
  });
});

describe('compact units (check)', () => {
  it('gives four significant digits and no space', () => {
    expect(formatCompact(850, 'us')).toBe('850µs');
    expect(formatCompact(12_345, 'us')).toBe('12.35ms');
    expect(formatCompact(2_500_000, 'us')).toBe('2.5s');
    expect(formatCompact(0.032, 'fraction')).toBe('3.2%');
    expect(formatCompact(0.25, 'per_second')).toBe('0.25/s');
    expect(formatCompact(7, 'count')).toBe('7');
  });

  it('removes the binary noise of a unit conversion', () => {
    expect(0.1 * 3).not.toBe(0.3);
    expect(withoutBinaryNoise(0.1 * 3)).toBe(0.3);
  });
});

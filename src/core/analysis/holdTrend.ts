/** How hold time changes with the connections in use when the hold began: flat when the database keeps up, rising when the server is the bottleneck. Pure. */
import type { RuleSettings } from '../advisor/types.js';
import type { HoldByInUse } from '../run/types.js';
import { ratio } from './ratio.js';
import type { HoldGroup, HoldTrend } from './types.js';

/** Share of holds at each end of the occupancy range that the hold trend compares. */
export const HOLD_TREND_GROUP_SHARE = 0.2;

/** Hold time by occupancy, split into low and high groups, with throughput per level. */
export function holdTrend(levels: HoldByInUse['levels'], rules: RuleSettings): HoldTrend {
  const rows = levels
    .filter(([lv, n]) => lv > 0 && n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([level, count, sumUs]) => ({ level, count, meanUs: sumUs / count, throughput: ratio(level * 1e6, sumUs / count) }));
  const total = rows.reduce((s, r) => s + r.count, 0);
  const group = (rs: typeof rows): HoldGroup => {
    const count = rs.reduce((s, r) => s + r.count, 0);
    const sum = rs.reduce((s, r) => s + r.count * r.meanUs, 0);
    const lvs = rs.map((r) => r.level);
    return { fromLevel: Math.min(...lvs), toLevel: Math.max(...lvs), count, meanUs: ratio(sum, count) };
  };
  const take = (rs: typeof rows): typeof rows => {
    const out: typeof rows = [];
    let n = 0;
    for (const r of rs) {
      if (n >= HOLD_TREND_GROUP_SHARE * total) break;
      out.push(r);
      n += r.count;
    }
    return out;
  };
  let low: HoldGroup | null = null;
  let high: HoldGroup | null = null;
  if (rows.length >= 2) {
    const lo = group(take(rows));
    const hi = group(take([...rows].reverse()));
    if (lo.toLevel < hi.fromLevel) {
      low = lo;
      high = hi;
    }
  }
  const r = low && high ? ratio(high.meanUs, low.meanUs, 0) : null;
  const enough = low !== null && high !== null && low.count >= rules.holdTrendMinSamples && high.count >= rules.holdTrendMinSamples;
  // Weighted least squares of mean hold on level.
  let slope: number | null = null;
  if (rows.length >= 2 && total > 0) {
    const mx = rows.reduce((s, x) => s + x.count * x.level, 0) / total;
    const my = rows.reduce((s, x) => s + x.count * x.meanUs, 0) / total;
    const sxx = rows.reduce((s, x) => s + x.count * (x.level - mx) ** 2, 0);
    const sxy = rows.reduce((s, x) => s + x.count * (x.level - mx) * (x.meanUs - my), 0);
    slope = sxx > 0 ? sxy / sxx : null;
  }
  // The best throughput is read from the groups (many holds, little noise), the knee from levels with enough holds of their own.
  const groupThroughput = (g: HoldGroup | null, rs: typeof rows): number => {
    if (!g) return 0;
    const inGroup = rs.filter((x) => x.level >= g.fromLevel && x.level <= g.toLevel);
    const meanLevelOf = ratio(
      inGroup.reduce((s, x) => s + x.count * x.level, 0),
      g.count,
    );
    return ratio(meanLevelOf * 1e6, g.meanUs);
  };
  const trusted = rows.filter((x) => x.count >= rules.holdTrendMinSamples);
  const best = Math.max(groupThroughput(low, rows), groupThroughput(high, rows));
  const maxThroughput = enough && best > 0 ? best : null;
  const knee = maxThroughput !== null ? (trusted.find((x) => x.throughput >= rules.throughputPlateauShare * maxThroughput)?.level ?? null) : null;
  return {
    levels: rows,
    low,
    high,
    ratio: r,
    slopeUsPerConnection: slope,
    maxThroughput,
    kneeLevel: knee,
    growing: enough && r !== null && r > rules.holdGrowthRatio,
  };
}

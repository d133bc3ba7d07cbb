/**
 * The report section of `pool-advisor compare --report FILE`: per environment and pool, the
 * figures before and after with their change, the settings that differ, and both wait spectra on
 * one chart. Pure: returns the page as a string.
 */
import { SAME_WITHIN, type PoolComparison, type RunComparison } from '../analysis/compare.js';
import { fmtChange, fmtValue } from './compare.js';
import { htmlPage, idOf } from './html.js';
import { esc } from './charts/axes.js';
import { spectrumChart } from './charts/spectrum.js';

function headline(p: PoolComparison): string {
  const m = p.metrics.find((x) => x.name === 'waitP99')!;
  return `${p.env} ${p.pool}: P99 wait ${fmtValue('us', m.before)} → ${fmtValue('us', m.after)}${m.verdict ? ` (${m.verdict})` : ''}`;
}

function poolBlock(p: PoolComparison): string {
  const out: string[] = [`<article class="pool" id="${esc(idOf('compare', p.env, p.pool))}"><h3>${esc(p.pool)} <span class="muted">in ${esc(p.env)}</span></h3>`];
  if (p.presentIn !== 'both') out.push(`<p class="banner">Only in the ${esc(p.presentIn)} run.</p>`);
  if (p.settings.length > 0) out.push(`<p>Settings changed: ${p.settings.map((s) => `<code>${esc(s.key)}</code> ${s.before} → <strong>${s.after}</strong>`).join(', ')}</p>`);
  else if (p.presentIn === 'both') out.push('<p class="muted">Same settings in both runs.</p>');
  const rows = p.metrics.map((m) => `<tr><td>${esc(m.label)}</td><td>${esc(fmtValue(m.unit, m.before))}</td><td>${esc(fmtValue(m.unit, m.after))}</td><td>${esc(fmtChange(m))}</td><td class="${m.verdict === 'better' ? 'sev-ok' : m.verdict === 'worse' ? 'sev-error' : 'muted'}">${esc(m.verdict ?? '')}</td></tr>`);
  const table = `<table class="figures"><thead><tr><th>figure</th><th>before</th><th>after</th><th>change</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const series = [
    { spectrum: p.spectra.before, label: 'before', cls: 's-before' },
    { spectrum: p.spectra.after, label: 'after', cls: 's-after' },
  ].flatMap((s) => (s.spectrum ? [{ label: s.label, cls: s.cls, spectrum: s.spectrum }] : []));
  // The after run's series goes first, so its percentiles are the ones marked.
  const chart = spectrumChart([...series].reverse(), { title: `${p.env} ${p.pool}: acquire wait by percentile, before and after` });
  out.push(`<div class="charts"><div>${table}</div><figure>${chart}<figcaption>Acquire wait at every percentile, before (dashed) and after (solid), log scale.</figcaption></figure></div></article>`);
  return out.join('');
}

/** The compare report page. */
export function renderCompareHtml(cmp: RunComparison): string {
  const both = cmp.environments.flatMap((e) => e.pools).filter((p) => p.presentIn === 'both');
  const body: string[] = [
    `<header><h1>pool-advisor: before and after</h1><p class="meta">Before ${esc(cmp.before.file)} (${esc(cmp.before.createdAt)}) · after ${esc(cmp.after.file)} (${esc(cmp.after.createdAt)}) · target ${esc(cmp.after.target)}</p></header>`,
    '<main><section id="compare-summary"><h2>Summary</h2><ul>',
    ...both.map((p) => `<li>${esc(headline(p))}</li>`),
    '</ul></section>',
  ];
  for (const e of cmp.environments) {
    body.push(`<section class="env" id="${esc(idOf('compare', e.env))}"><h2>Environment ${esc(e.env)}</h2>`);
    if (e.presentIn !== 'both') body.push(`<p class="banner">Only in the ${esc(e.presentIn)} run.</p>`);
    if (e.workloadsDiffer) {
      body.push(`<p class="banner">The workloads differ, so this is not like for like.<br>Before: ${esc(e.workloadsDiffer.before.join('; '))}<br>After: ${esc(e.workloadsDiffer.after.join('; '))}</p>`);
    }
    for (const p of e.pools) body.push(poolBlock(p));
    body.push('</section>');
  }
  body.push('</main>', `<footer>pool-advisor · acquire wait is the time spent inside <code>pool.connect()</code> · a change within ${SAME_WITHIN * 100}% of the before value reads as the same</footer>`);
  return htmlPage(`pool-advisor compare: ${cmp.before.file} → ${cmp.after.file}`, body.join('\n'));
}

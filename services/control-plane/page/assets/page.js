// The learning page's only script: refreshes the live part of the page every few seconds, says when its data is
// stale, and draws the experiment chart (uPlot, served by the control plane). Forms are plain HTML and work without it.
const refreshMs = 3000;
const staleMs = 10000;
const live = document.getElementById('live');
const freshness = document.getElementById('freshness');
let lastOk = Date.now();

function editing() {
  const active = document.activeElement;
  return live && active && live.contains(active) && active.closest('form') !== null;
}

function showFreshness() {
  if (!freshness) return;
  const age = Date.now() - lastOk;
  const stale = age > staleMs;
  freshness.classList.toggle('stale', stale);
  const at = new Date(lastOk).toLocaleTimeString();
  freshness.textContent = stale
    ? `Data may be stale: last updated ${at}, retrying…`
    : `Updated ${at} (refreshes by itself)`;
}

async function refresh() {
  if (!live || editing()) return;
  try {
    const response = await fetch(location.href, {
      headers: { 'x-learnloop-partial': '1' },
      credentials: 'same-origin',
    });
    if (response.status === 401) {
      location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (!editing() && live.innerHTML !== text) {
      live.innerHTML = text;
      drawChart();
    }
    lastOk = Date.now();
  } catch {
    // Shown by the freshness line: the next tick tries again.
  }
  showFreshness();
}

function drawChart() {
  const holder = document.getElementById('cs-chart');
  const data = document.getElementById('cs-data');
  if (!holder || !data || typeof uPlot === 'undefined') return;
  const { points, minimumEffect, marks } = JSON.parse(data.textContent);
  holder.replaceChildren();
  if (points.length === 0) {
    holder.textContent = 'No analysis yet.';
    return;
  }
  const xs = points.map((p) => p[0]);
  const series = [
    xs,
    points.map((p) => p[1]),
    points.map((p) => p[2]),
    points.map((p) => p[3]),
    xs.map(() => 0),
    xs.map(() => minimumEffect),
  ];
  const width = Math.max(280, holder.clientWidth || 600);
  new uPlot(
    {
      width,
      height: 280,
      series: [
        {},
        { label: 'estimate', stroke: '#0b5fff', width: 2 },
        { label: 'lower', stroke: '#6b7280', dash: [4, 4] },
        { label: 'upper', stroke: '#6b7280', dash: [4, 4] },
        { label: 'zero', stroke: '#111827', width: 1 },
        { label: 'minimum effect', stroke: '#b45309', dash: [2, 6] },
      ],
      hooks: {
        draw: [
          (u) => {
            const { ctx } = u;
            ctx.save();
            ctx.strokeStyle = '#9333ea';
            for (const [x] of marks) {
              const cx = u.valToPos(x, 'x', true);
              ctx.beginPath();
              ctx.moveTo(cx, u.bbox.top);
              ctx.lineTo(cx, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    },
    series,
    holder,
  );
}

if (live) {
  showFreshness();
  setInterval(refresh, refreshMs);
  setInterval(showFreshness, 1000);
}
if (document.readyState === 'complete') drawChart();
else addEventListener('load', drawChart);

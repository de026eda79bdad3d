// latentwatch alert console: the state arrives as Server-Sent Events from /events (a snapshot on connect, then live
// events); every element is built with the DOM API from the records' fields, never from HTML text.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';

const state = {
  maxAlerts: 200,
  windowMs: 5 * 60 * 1000,
  alerts: new Map(),      // frame_id -> alert card element
  traces: new Map(),      // source -> { points: Map(bucket -> point), element }
  models: [],
  redrawPending: false,
};

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function num(v, digits) {
  if (v === null || v === undefined) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 10000)) return v.toExponential(2);
  return v.toFixed(digits === undefined ? 4 : digits);
}

function clock(ms) {
  const d = new Date(ms);
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

function duration(ms) {
  return ms < 90000 ? Math.round(ms / 1000) + ' s' : Math.round(ms / 60000) + ' min';
}

/** An image of /frames/ID or /maps/ID. */
function picture(className, kind, frameId, alt) {
  const img = el('img', className);
  img.alt = alt;
  img.src = '/' + kind + '/' + encodeURIComponent(frameId);
  return img;
}

// ---- alert cards ---------------------------------------------------------------------------------------------------

function framePicture(alert) {
  const box = el('div', 'picture frame-picture');
  if (alert.has_frame) {
    const img = picture('frame', 'frames', alert.frame_id, 'frame ' + alert.frame_id);
    box.append(img);
    if (alert.region) {
      // the region is in the frame's own pixels: the box's viewBox is the picture's natural size
      const svg = svgEl('svg', { class: 'region-box', preserveAspectRatio: 'xMidYMid meet' });
      const [x, y, w, h] = alert.region;
      svg.append(svgEl('rect', { x: x + 0.5, y: y + 0.5, width: Math.max(w - 1, 0.5), height: Math.max(h - 1, 0.5) }));
      const size = () => svg.setAttribute('viewBox', '0 0 ' + img.naturalWidth + ' ' + img.naturalHeight);
      if (img.complete && img.naturalWidth) size(); else img.addEventListener('load', size, { once: true });
      box.append(svg);
    }
  } else {
    box.append(el('div', 'placeholder', 'frame not read yet'));
  }
  return figure(box, 'frame');
}

function mapPicture(alert) {
  const box = el('div', 'picture map-picture');
  if (alert.has_map) {
    box.append(picture('map', 'maps', alert.frame_id, 'anomaly map of ' + alert.frame_id));
  } else {
    box.append(el('div', 'placeholder', alert.region ? 'no map picture (--alert-map-png off)' : 'no region'));
  }
  return figure(box, 'anomaly map');
}

function figure(picture, caption) {
  const fig = el('figure');
  fig.append(picture, el('figcaption', null, caption));
  return fig;
}

function alertCard(alert) {
  const card = el('article', 'alert-card severity-' + alert.severity);
  card.alertData = alert;
  card.dataset.frameId = alert.frame_id;
  card.dataset.source = alert.source;
  const pictures = el('div', 'pictures');
  pictures.append(framePicture(alert), mapPicture(alert));

  const facts = el('div', 'facts');
  const head = el('div', 'headline');
  head.append(el('span', 'source', alert.source), el('span', 'badge severity ' + alert.severity, alert.severity));
  const ratio = alert.score !== null && alert.threshold ? alert.score / alert.threshold : null;
  const score = el('div', 'score-line-text');
  score.append(el('b', null, num(alert.score)), document.createTextNode(' / ' + num(alert.threshold)),
      el('span', 'ratio', ratio === null ? '' : ratio.toFixed(ratio < 10 ? 2 : 1) + '×'));
  score.title = 'score / threshold';
  // the bar runs to 4 × the threshold; the mark is the threshold
  const bar = el('div', 'ratio-bar');
  const fill = el('span');
  fill.style.width = (ratio === null ? 100 : Math.min(ratio / 4, 1) * 100) + '%';
  const mark = el('i');
  mark.style.left = '25%';
  bar.append(fill, mark);

  const dl = el('dl');
  const fact = (k, v) => dl.append(el('dt', null, k), el('dd', null, v));
  fact('model', 'v' + alert.model_version);
  fact('captured', clock(alert.captured_at));
  fact('latency', (alert.detected_at - alert.captured_at) + ' ms');
  fact('region', alert.region ? alert.region[2] + '×' + alert.region[3] + ' at ' + alert.region[0] + ',' + alert.region[1] : 'none');
  fact('frame', alert.frame_id);
  facts.append(head, score, bar, dl);
  card.append(pictures, facts);
  return card;
}

function addAlert(alert) {
  if (state.alerts.has(alert.frame_id)) return;
  const card = alertCard(alert);
  const list = document.getElementById('alerts');
  list.prepend(card);
  state.alerts.set(alert.frame_id, card);
  while (state.alerts.size > state.maxAlerts) {
    const oldest = state.alerts.keys().next().value;
    state.alerts.get(oldest).remove();
    state.alerts.delete(oldest);
  }
  updateStats();
}

/** An alert's frame arrived after the alert: its card gets the picture now. */
function frameArrived(frameId) {
  const card = state.alerts.get(frameId);
  if (!card) return;
  card.alertData = Object.assign({}, card.alertData, { has_frame: true });
  card.querySelector('.frame-picture').parentElement.replaceWith(framePicture(card.alertData));
}

// ---- score traces --------------------------------------------------------------------------------------------------

function traceOf(source) {
  let t = state.traces.get(source);
  if (!t) {
    const element = el('div', 'trace');
    element.dataset.source = source;
    const head = el('div', 'trace-head');
    head.append(el('span', 'source', source), el('span', 'latest'));
    const svg = svgEl('svg', { class: 'score-trace', 'data-source': source });
    element.append(head, svg);
    const container = document.getElementById('traces');
    const after = [...container.children].find(c => c.dataset.source > source);
    container.insertBefore(element, after || null);
    t = { points: new Map(), element, svg, head };
    state.traces.set(source, t);
  }
  return t;
}

function addPoint(source, p) {
  const t = traceOf(source);
  t.points.set(p.bucket, p);
  t.newest = Math.max(t.newest || 0, p.captured_at);
  scheduleRedraw();
}

function scheduleRedraw() {
  if (state.redrawPending) return;
  state.redrawPending = true;
  setTimeout(() => {
    state.redrawPending = false;
    for (const [source, t] of state.traces) drawTrace(source, t);
    updateStats();
  }, 200);
}

function drawTrace(source, t) {
  const newest = t.newest;
  for (const [b, p] of t.points) if (p.captured_at < newest - state.windowMs) t.points.delete(b);
  const points = [...t.points.values()].sort((a, b) => a.captured_at - b.captured_at);
  // the window, or less while a source has been seen for less: a young trace is not squeezed to the right edge
  const span = points.length ? Math.min(state.windowMs, Math.max(newest - points[0].captured_at, 10000)) : state.windowMs;
  const from = newest - span;
  const svg = t.svg;
  const W = Math.max(svg.clientWidth, 200);
  const H = Math.max(svg.clientHeight, 80);
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.replaceChildren();
  if (points.length === 0) return;
  const left = 44, right = 8, top = 8, bottom = 16;
  const thresholds = points.map(p => p.threshold).filter(v => v !== null);
  const maxThreshold = thresholds.length ? Math.max(...thresholds) : 0;
  const scores = points.map(p => p.score).filter(v => v !== null);
  const maxScore = scores.length ? Math.max(...scores) : 1;
  // up to 4 × the threshold, so that normal frames stay readable beside an alert's spike (clipped at the top)
  let yMax = maxThreshold > 0 ? Math.min(Math.max(maxScore, 1.5 * maxThreshold), 4 * maxThreshold) : maxScore;
  yMax = (yMax || 1) * 1.05;
  const x = tm => left + (tm - from) / span * (W - left - right);
  const y = v => top + (1 - Math.min(v, yMax) / yMax) * (H - top - bottom);

  for (const v of [0, yMax / 2, yMax / 1.05]) {
    svg.append(svgEl('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    const label = svgEl('text', { class: 'axis-label', x: left - 4, y: y(v) + 3, 'text-anchor': 'end' });
    label.textContent = num(v, 3);
    svg.append(label);
  }
  for (const [tx, text, anchor] of [[left, '−' + duration(span), 'start'], [W - right, clock(newest).slice(0, 8), 'end']]) {
    const label = svgEl('text', { class: 'axis-label', x: tx, y: H - 4, 'text-anchor': anchor });
    label.textContent = text;
    svg.append(label);
  }

  // a step line: each frame was judged by the threshold it carries
  let threshold = '';
  let open = false;
  for (const p of points) {
    if (p.threshold === null) { open = false; continue; }
    const px = x(p.captured_at).toFixed(1);
    const py = y(p.threshold).toFixed(1);
    threshold += open ? 'H' + px + 'V' + py : 'M' + px + ',' + py;
    open = true;
  }
  if (threshold) svg.append(svgEl('path', { class: 'threshold-line', d: threshold + 'H' + x(newest).toFixed(1) }));

  let line = '';
  for (const p of points) {
    const v = p.score === null ? yMax : p.score;
    line += (line ? 'L' : 'M') + x(p.captured_at).toFixed(1) + ',' + y(v).toFixed(1);
  }
  svg.append(svgEl('path', { class: 'score-line', d: line }));

  let version = null;
  for (const p of points) {
    if (version !== null && p.model_version !== version) {
      const sx = x(p.captured_at).toFixed(1);
      svg.append(svgEl('line', { class: 'model-swap', x1: sx, x2: sx, y1: top, y2: H - bottom }));
      const nearEnd = Number(sx) > W - right - 24;
      const label = svgEl('text', { class: 'model-swap-label', x: Number(sx) + (nearEnd ? -3 : 3), y: top + 9, 'text-anchor': nearEnd ? 'end' : 'start' });
      label.textContent = 'v' + p.model_version;
      svg.append(label);
    }
    version = p.model_version;
    if (p.anomaly) svg.append(svgEl('circle', { class: 'anomaly', cx: x(p.captured_at).toFixed(1), cy: y(p.score === null ? yMax : p.score).toFixed(1), r: 2.6 }));
  }
  const newestPoint = points[points.length - 1];
  t.head.querySelector('.latest').textContent = 'score ' + num(newestPoint.score) + ' / threshold ' + num(newestPoint.threshold) + ' · v' + newestPoint.model_version;
}

// ---- model timeline ------------------------------------------------------------------------------------------------

function addModelUpdate(u) {
  state.models.push(u);
  const li = el('li', 'model-update ' + (u.accepted ? 'accepted' : 'rejected'));
  if (u.version !== null) li.dataset.version = u.version;
  if (u.parent_version !== null) li.dataset.parentVersion = u.parent_version;
  const what = el('div', 'what');
  let title;
  if (u.accepted) {
    title = 'v' + u.version + (u.parent_version !== null && u.parent_version !== u.version ? ' ← v' + u.parent_version : '');
  } else {
    title = 'candidate of v' + u.parent_version;
  }
  const left = el('span');
  left.append(el('b', null, title), document.createTextNode(' '), el('span', 'decision', u.accepted ? 'serving' : 'rejected'));
  const at = el('time', null, clock(Date.parse(u.created_at)).slice(0, 8));
  at.dateTime = u.created_at;
  what.append(left, at);
  li.append(what);
  if (u.val_loss_before !== null || u.val_loss_after !== null) {
    const losses = el('div', 'losses');
    losses.append(document.createTextNode('val loss ' + num(u.val_loss_before, 5) + ' → ' + num(u.val_loss_after, 5)));
    if (u.val_loss_before && u.val_loss_after !== null) {
      const change = (u.val_loss_after - u.val_loss_before) / u.val_loss_before * 100;
      losses.append(document.createTextNode(' '), el('span', change <= 0 ? 'better' : 'worse', (change > 0 ? '+' : '') + change.toFixed(1) + ' %'));
    }
    li.append(losses);
  }
  li.append(el('div', 'reason', u.reason));
  document.getElementById('model-timeline').prepend(li);
  updateStats();
}

// ---- header and the stream -----------------------------------------------------------------------------------------

function updateStats() {
  document.querySelector('#stat-alerts b').textContent = state.alerts.size;
  document.querySelector('#stat-sources b').textContent = state.traces.size;
  const serving = [...state.models].reverse().find(u => u.accepted);
  document.querySelector('#stat-model b').textContent = serving ? 'v' + serving.version : '–';
  document.getElementById('alerts-empty').classList.toggle('hidden', state.alerts.size > 0);
  document.getElementById('traces-empty').classList.toggle('hidden', state.traces.size > 0);
  document.getElementById('timeline-empty').classList.toggle('hidden', state.models.length > 0);
}

function reset(snapshot) {
  state.maxAlerts = snapshot.max_alerts;
  state.windowMs = snapshot.trace_window_ms;
  document.getElementById('trace-window').textContent = 'per source, last ' + Math.round(state.windowMs / 60000) + ' min';
  state.alerts.clear();
  state.traces.clear();
  state.models = [];
  document.getElementById('alerts').replaceChildren();
  document.getElementById('traces').replaceChildren();
  document.getElementById('model-timeline').replaceChildren();
  snapshot.alerts.forEach(addAlert);
  for (const [source, points] of Object.entries(snapshot.traces)) points.forEach(p => addPoint(source, p));
  snapshot.model_updates.forEach(addModelUpdate);
  updateStats();
}

function connect() {
  const status = document.getElementById('connection');
  const events = new EventSource('/events');
  const on = (name, f) => events.addEventListener(name, e => f(JSON.parse(e.data)));
  on('snapshot', s => { reset(s); status.className = 'connection live'; status.textContent = 'live'; });
  on('alert', addAlert);
  on('frame', f => frameArrived(f.frame_id));
  on('score', p => addPoint(p.source, p));
  on('model-update', addModelUpdate);
  events.onerror = () => { status.className = 'connection connecting'; status.textContent = 'reconnecting'; };
  window.addEventListener('resize', scheduleRedraw);
}

connect();

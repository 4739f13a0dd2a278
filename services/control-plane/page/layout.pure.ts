import type { TokenRole } from '../../../lib/db/schema.ts';
import { html, type Html } from './html.pure.ts';

/** The frame of every page: navigation, who is signed in, the freshness line, and the part that refreshes itself. */

export interface Viewer {
  name: string;
  role: TokenRole;
  /** The form token every POST must carry (page.ts: derived from the sign-in token). */
  csrf: string;
}

export interface PageFrame {
  title: string;
  viewer: Viewer | null;
  /** The navigation entry that is current. */
  section?: 'agents' | 'approvals' | 'audit';
  /** Refreshed by polling (assets/page.js); null for pages that do not change by themselves. */
  live: Html | null;
  /** Above the live part, not refreshed: filters. */
  filters?: Html;
  /** Not refreshed: forms a person is typing into. */
  still?: Html;
  chart?: boolean;
}

const nav = (section: PageFrame['section']) =>
  (
    [
      ['agents', '/', 'Agents'],
      ['approvals', '/approvals', 'Approvals'],
      ['audit', '/audit', 'Audit'],
    ] as const
  ).map(
    ([key, href, label]) => html`<a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}</a>`,
  );

export function layout(frame: PageFrame): Html {
  const { viewer } = frame;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · learnloop</title>
<link rel="stylesheet" href="/assets/page.css">
${frame.chart ? html`<link rel="stylesheet" href="/assets/uPlot.min.css"><script src="/assets/uPlot.iife.min.js" defer></script>` : ''}
<script type="module" src="/assets/page.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <strong class="brand">learnloop</strong>
  ${viewer ? html`<nav aria-label="Sections">${nav(frame.section)}</nav>` : ''}
  ${
    viewer
      ? html`<form method="post" action="/sign-out" class="who">
    <span>${viewer.name} <span class="role">(${viewer.role})</span></span>
    <input type="hidden" name="csrf" value="${viewer.csrf}">
    <button type="submit">Sign out</button>
  </form>`
      : ''
  }
</header>
<main id="main">
<h1>${frame.title}</h1>
${frame.filters ?? ''}
${frame.live ? html`<p id="freshness" role="status" aria-live="polite">Updated just now</p><div id="live" data-live>${frame.live}</div>` : ''}
${frame.still ?? ''}
</main>
</body>
</html>`;
}

/** A refusal of the API, shown where the action was tried. */
export function problem(message: string | null): Html {
  return message ? html`<p class="error" role="alert">${message}</p>` : html``;
}

export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

export function short(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

export function signInPage(error: string | null, next: string): Html {
  return layout({
    title: 'Sign in',
    viewer: null,
    live: null,
    still: html`<form method="post" action="/sign-in" class="card narrow">
  <p>Paste an API token (<code>learnloop tokens create</code>). It is kept for this browser session only.</p>
  <label for="token">Token</label>
  <input id="token" name="token" type="password" autocomplete="off" required ${error ? html`aria-invalid="true" aria-describedby="token-error"` : ''}>
  ${error ? html`<p class="error" id="token-error" role="alert">${error}</p>` : ''}
  <input type="hidden" name="next" value="${next}">
  <button type="submit">Sign in</button>
</form>`,
  });
}

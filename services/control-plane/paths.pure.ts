/**
 * Route paths as OpenAPI writes them ('/api/agents/{agentId}/live'), matched against request paths segment by
 * segment. A parameter takes one whole, non-empty, percent-decoded segment.
 */

export type PathMatch =
  | { ok: true; params: Record<string, string> }
  | { ok: false; reason: 'no_match' }
  | { ok: false; reason: 'bad_segment'; param: string };

export interface PathPattern {
  template: string;
  segments: ReadonlyArray<{ literal: string } | { param: string }>;
}

export function compilePath(template: string): PathPattern {
  const segments = template
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(segment);
      return param ? { param: param[1]! } : { literal: segment };
    });
  return { template, segments };
}

export function matchPath(pattern: PathPattern, path: string): PathMatch {
  const parts = path.split('/').slice(1);
  if (parts.length !== pattern.segments.length) return { ok: false, reason: 'no_match' };
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = pattern.segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (segment.literal !== part) return { ok: false, reason: 'no_match' };
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(part);
    } catch {
      return { ok: false, reason: 'bad_segment', param: segment.param };
    }
    if (value === '') return { ok: false, reason: 'bad_segment', param: segment.param };
    params[segment.param] = value;
  }
  return { ok: true, params };
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize } from 'node:path';

/**
 * The module boundaries of the code, read from its import statements (docs/development.md):
 * - `lib/` imports nothing from `services/` or `cli/`;
 * - a file of `services/<name>/` imports `lib/` and its own service's folder, nothing else (`services/index.ts`, the
 *   list of services, imports each service's `index.ts`);
 * - a `.pure.ts` file imports, as values, only `.pure.ts` files of its own service, and reaches (through any number of
 *   imports) no module that does I/O. Type-only imports are erased before the code runs and are allowed everywhere.
 *
 * Biome formats every import as one statement at the start of a line, which is what this reads; dynamic `import()`
 * calls are read too.
 */

/** Modules that talk to the outside: a pure file must not reach them. */
const ioPackages = new Set([
  'kafkajs',
  'kysely',
  'pg',
  'prom-client',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@kafkajs/confluent-schema-registry',
  'testcontainers',
  'playwright-core',
]);
const ioBuiltins = new Set([
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'readline',
  'timers',
  'timers/promises',
  'tls',
  'worker_threads',
]);
const builtins = new Set(builtinModules);

export interface Import {
  /** A repository path (`lib/db/schema.ts`) or a package name (`kysely`, `node:fs`). */
  target: string;
  /** A package, not a file of the tree. */
  external: boolean;
  typeOnly: boolean;
}

const staticImport =
  /^(import|export)\s+(type\s+)?((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+))\s*from\s*['"]([^'"]+)['"]/gm;
const sideEffectImport = /^import\s*['"]([^'"]+)['"]/gm;
const dynamicImport = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function allTypes(clause: string): boolean {
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1]!
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

function resolveTarget(file: string, specifier: string): Pick<Import, 'target' | 'external'> {
  if (specifier.startsWith('.')) return { target: normalize(join(dirname(file), specifier)), external: false };
  return { target: specifier, external: true };
}

/** The imports of one file (paths relative to the root it was read from). */
export function importsOf(file: string, source: string): Import[] {
  const out: Import[] = [];
  for (const m of source.matchAll(staticImport)) {
    out.push({ ...resolveTarget(file, m[4]!), typeOnly: m[2] !== undefined || allTypes(m[3]!) });
  }
  for (const m of source.matchAll(sideEffectImport)) out.push({ ...resolveTarget(file, m[1]!), typeOnly: false });
  for (const m of source.matchAll(dynamicImport)) out.push({ ...resolveTarget(file, m[1]!), typeOnly: false });
  return out;
}

function sourceFiles(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f))
    .sort();
}

const packageName = (target: string) => target.replace(/^node:/, '');
const isIo = (target: string) => {
  const name = packageName(target);
  if (ioPackages.has(name)) return true;
  return (builtins.has(name) || target.startsWith('node:')) && ioBuiltins.has(name);
};
const serviceOf = (path: string) => /^services\/([^/]+)\//.exec(path)?.[1];

/** A pair of files whose import is allowed for now despite the rules: why, and who removes it. */
export interface AllowedImport {
  from: string;
  to: string;
}

/**
 * Every import of the tree at `root` that breaks a rule, as `<file> imports <target>: <rule>`, sorted; and the allowed
 * pairs that no longer occur (a stale allowance is reported too, so that the list only shrinks).
 */
export function boundaryViolations(root: string, allowed: readonly AllowedImport[] = []): string[] {
  const files = ['lib', 'services', 'cli', 'bin'].flatMap((dir) => sourceFiles(root, dir));
  const graph = new Map<string, Import[]>();
  for (const file of files) graph.set(file, importsOf(file, readFileSync(join(root, file), 'utf8')));
  const allowedKeys = new Set(allowed.map((a) => `${a.from} ${a.to}`));
  const used = new Set<string>();
  const violations: string[] = [];
  const report = (file: string, target: string, rule: string) => {
    const key = `${file} ${target}`;
    if (allowedKeys.has(key)) used.add(key);
    else violations.push(`${file} imports ${target}: ${rule}`);
  };

  for (const [file, imports] of graph) {
    const service = serviceOf(file);
    for (const { target, external, typeOnly } of imports) {
      if (external) continue;
      if (file.startsWith('lib/') && !target.startsWith('lib/'))
        report(file, target, 'lib/ imports nothing from services/ or cli/');
      if (file === 'services/index.ts') {
        if (!/^services\/[^/]+\/index\.ts$/.test(target) && !target.startsWith('lib/'))
          report(file, target, "services/index.ts lists the services: it imports each one's index.ts and lib/");
      } else if (service !== undefined && !target.startsWith('lib/') && serviceOf(target) !== service) {
        report(file, target, `a service imports lib/ and its own folder only (services/${service}/)`);
      }
      if (file.endsWith('.pure.ts') && !typeOnly && target.startsWith('services/') && !target.endsWith('.pure.ts'))
        report(file, target, 'a .pure.ts file imports only .pure.ts files of its service');
    }
  }

  // The I/O modules a file reaches through value imports, at any depth.
  const ioReachedFrom = (start: string): Set<string> => {
    const io = new Set<string>();
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const { target, external, typeOnly } of graph.get(file) ?? []) {
        if (typeOnly) continue;
        if (!external) stack.push(target);
        else if (isIo(target)) io.add(target);
      }
    }
    return io;
  };
  for (const file of graph.keys()) {
    if (!file.endsWith('.pure.ts')) continue;
    for (const io of ioReachedFrom(file)) report(file, io, 'a .pure.ts file reaches no module that does I/O');
  }

  for (const a of allowed) {
    const key = `${a.from} ${a.to}`;
    if (!used.has(key)) violations.push(`${a.from} no longer imports ${a.to}: remove it from the allowed imports`);
  }
  return [...new Set(violations)].sort();
}

import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding learnloop's package.json: the checkout, or the installed package. Found by walking up, because
 * the same module runs from `lib/` (TypeScript in a checkout) and from `dist/lib/` (the compiled package).
 */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Whether learnloop runs as a dependency of another project (under node_modules) rather than from its checkout. */
export const installedAsDependency = packageRoot.split(sep).includes('node_modules');

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

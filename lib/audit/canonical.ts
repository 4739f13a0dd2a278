import { createHash } from 'node:crypto';

/**
 * Canonical JSON: the one text a JSON value hashes as, whatever order its keys were built or stored in (jsonb reorders
 * them). Object keys are sorted by UTF-16 code units at every depth, there is no whitespace, and strings and numbers
 * are written as JSON.stringify writes them; for JSON data this is RFC 8785 (JCS).
 *
 * It follows JSON.stringify where that is what gets stored (an undefined property is left out, an undefined array
 * item is null, toJSON is honoured, so a Date is its ISO string), so that hashing a value before it is written to
 * jsonb and after it is read back gives the same hash. What JSON cannot hold faithfully is refused rather than
 * silently changed: non-finite numbers, bigint, functions, symbols, Map/Set and other class instances, cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set(), '$');
}

function write(value: unknown, path: Set<object>, where: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${where} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: ${where} is a ${typeof value}, which JSON cannot hold`);
  }
  const object = value as object;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
    return write((object as { toJSON: (key: string) => unknown }).toJSON(''), path, where);
  }
  if (path.has(object)) throw new TypeError(`canonicalJson: ${where} refers back to itself`);
  path.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item: unknown, i) => (item === undefined ? 'null' : write(item, path, `${where}[${i}]`))).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new TypeError(`canonicalJson: ${where} is a ${name}, not plain JSON data`);
    }
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${write(member, path, `${where}.${key}`)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    path.delete(object);
  }
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The content address of a JSON value: equal data, equal hash, however its keys are ordered. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

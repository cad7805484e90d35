/**
 * Typed configs with defaults: every module exports a DEFAULT_* object and merges user overrides through
 * `mergeConfig`, which rejects unknown keys and wrong types with one error naming the key and where it came from.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/**
 * Deep-merges `overrides` into `defaults`. Keys must exist in `defaults` and values must have the same JS type
 * (nested objects are merged key by key; arrays are replaced). `where` names the source in error messages,
 * e.g. "experiment toy-copy, profile quick".
 */
export function mergeConfig<T extends object>(defaults: T, overrides: unknown, where: string, path = ''): T {
  if (overrides === undefined) return structuredClone(defaults);
  if (!isPlainObject(overrides)) {
    throw new ConfigError(`${where}: expected an object${path ? ` at '${path}'` : ''}, got ${describe(overrides)}`);
  }
  const out: Plain = structuredClone(defaults) as Plain;
  for (const [key, value] of Object.entries(overrides)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!(key in out)) {
      const known = Object.keys(out).join(', ');
      throw new ConfigError(`${where}: unknown key '${keyPath}' (known keys: ${known})`);
    }
    const current = out[key];
    if (isPlainObject(current)) {
      out[key] = mergeConfig(current, value, where, keyPath);
    } else if (current !== null && current !== undefined && describe(current) !== describe(value)) {
      throw new ConfigError(`${where}: key '${keyPath}' must be ${describe(current)}, got ${describe(value)} (${JSON.stringify(value)})`);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out as T;
}

/** Throws a ConfigError for `key` unless `ok`. Used by validators after merging. */
export function check(ok: boolean, where: string, key: string, requirement: string, value: unknown): void {
  if (!ok) throw new ConfigError(`${where}: key '${key}' ${requirement}, got ${JSON.stringify(value)}`);
}

/**
 * Parses command-line `key.path=value` overrides into a nested object. Values are JSON when they parse
 * (numbers, booleans, arrays), strings otherwise.
 */
export function parseOverrides(assignments: string[]): Plain {
  const out: Plain = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got '${a}'`);
    const keys = a.slice(0, eq).split('.');
    const raw = a.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node = out;
    for (const k of keys.slice(0, -1)) {
      if (!isPlainObject(node[k])) node[k] = {};
      node = node[k] as Plain;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}

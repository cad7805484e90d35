/**
 * Readers for the data formats the project meets: JSON Lines (one object a line; also written here) and the Arrow
 * IPC stream files that Hugging Face `datasets` writes with save_to_disk. Errors name the file and, for JSONL, the line.
 */
import * as fs from 'node:fs';
import { type Table, tableFromIPC } from 'apache-arrow';

export class DataFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFormatError';
  }
}

export type Row = Record<string, unknown>;

/** Parses every non-empty line as a JSON object; `validate` may throw a message, reported with file:line. */
export function readJsonl<T = Row>(file: string, validate?: (row: Row) => T): T[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new DataFormatError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataFormatError(`${file}:${i + 1}: expected a JSON object`);
    try {
      out.push(validate ? validate(row as Row) : (row as T));
    } catch (e) {
      throw new DataFormatError(`${file}:${i + 1}: ${(e as Error).message}`);
    }
  });
  return out;
}

/** Writes `rows` as JSON Lines (the format readJsonl reads). */
export function writeJsonl(file: string, rows: unknown[]): void {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

/** Rows of an Arrow IPC stream (or file) as plain objects; `validate` errors are reported with file and row. */
export function readArrow<T = Row>(file: string, validate?: (row: Row) => T): T[] {
  let table: Table;
  try {
    table = tableFromIPC(fs.readFileSync(file));
  } catch (e) {
    throw new DataFormatError(`${file}: not a readable Arrow IPC file (${(e as Error).message})`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((n) => table.getChild(n));
  const out: T[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    names.forEach((n, j) => {
      row[n] = columns[j]?.get(i) ?? null;
    });
    try {
      out.push(validate ? validate(row) : (row as T));
    } catch (e) {
      throw new DataFormatError(`${file}: row ${i}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** A validator for objects whose listed fields must be strings. */
export function stringFields<K extends string>(...fields: K[]): (row: Row) => Record<K, string> {
  return (row) => {
    for (const f of fields) {
      if (typeof row[f] !== 'string') throw new Error(`field '${f}' must be a string, got ${row[f] === undefined ? 'nothing' : typeof row[f]}`);
    }
    return row as Record<K, string>;
  };
}

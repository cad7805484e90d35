/**
 * .ipynb handling without Python: the papermill convention for parameters (the first code cell tagged
 * `parameters` holds the defaults; an `injected-parameters` cell placed after it assigns the overrides), the
 * "no committed outputs" check, and reading cell errors out of an executed notebook (tslab writes the message to
 * stderr; nbconvert's own error text is empty).
 */
import * as fs from 'node:fs';

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: Array<Record<string, unknown>>;
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable notebook (${(e as Error).message})`);
  }
  if (!Array.isArray(nb.cells)) throw new Error(`${file}: not a notebook (no cells array)`);
  return nb;
}

/** The experiments a notebook declares in its metadata (imrm.experiments): what `reproduce` runs before it. */
export function declaredExperiments(nb: Notebook): string[] {
  return (nb.metadata.imrm as { experiments?: string[] } | undefined)?.experiments ?? [];
}

export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
}

export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

function hasTag(cell: NotebookCell, tag: string): boolean {
  return Array.isArray(cell.metadata?.tags) && cell.metadata.tags.includes(tag);
}

/** TypeScript assignments for the parameters: `name = <JSON>;` (the parameters cell declares them with let). */
export function parameterSource(params: Record<string, unknown>): string {
  const lines = Object.entries(params).map(([k, v]) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(k)) throw new Error(`parameter name '${k}' is not an identifier`);
    return `${k} = ${JSON.stringify(v)};`;
  });
  // A block: its assignments show no value in the cell output.
  return `// Parameters injected by the notebook runner\n{\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;
}

/** Names declared with let in the parameters cell: only these may be injected. */
export function declaredParameters(nb: Notebook): string[] {
  const cell = nb.cells.find((c) => c.cell_type === 'code' && hasTag(c, 'parameters'));
  if (!cell) return [];
  return [...cellSource(cell).matchAll(/^\s*let\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
}

/**
 * A copy of the notebook with an `injected-parameters` cell right after the `parameters` cell (replacing an
 * earlier injected cell). Unknown parameter names are an error that lists the declared ones.
 */
export function injectParameters(nb: Notebook, params: Record<string, unknown>, where = 'notebook'): Notebook {
  const out: Notebook = JSON.parse(JSON.stringify(nb));
  out.cells = out.cells.filter((c) => !hasTag(c, 'injected-parameters'));
  const index = out.cells.findIndex((c) => c.cell_type === 'code' && hasTag(c, 'parameters'));
  if (index < 0) throw new Error(`${where}: no code cell tagged 'parameters'`);
  const declared = declaredParameters(out);
  for (const k of Object.keys(params)) {
    if (!declared.includes(k)) throw new Error(`${where}: unknown parameter '${k}' (declared: ${declared.join(', ')})`);
  }
  out.cells.splice(index + 1, 0, {
    id: INJECTED_CELL_ID,
    cell_type: 'code',
    source: parameterSource(params),
    metadata: { tags: ['injected-parameters'] },
    outputs: [],
    execution_count: null,
  });
  return out;
}

/** The stable id of the injected parameters cell (nbformat 4.5 requires an id on every cell). */
export const INJECTED_CELL_ID = 'injected-parameters';
const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Cell-id problems (nbformat 4.5): every cell needs an id of 1-64 letters, digits, '-' or '_', unique in the
 * notebook. nbformat only warns about a missing one and invents it, so an id would change on every run.
 */
export function cellIdProblems(nb: Notebook, where: string): string[] {
  const problems: string[] = [];
  if (nb.nbformat < 4 || (nb.nbformat === 4 && nb.nbformat_minor < 5))
    problems.push(`${where}: nbformat ${nb.nbformat}.${nb.nbformat_minor}; cell ids need 4.5`);
  const seen = new Map<string, number>();
  nb.cells.forEach((c, i) => {
    if (c.id === undefined) problems.push(`${where}: cell ${i} has no id`);
    else if (!CELL_ID.test(c.id)) problems.push(`${where}: cell ${i} has the id '${c.id}' (allowed: 1-64 of A-Z a-z 0-9 - _)`);
    else if (seen.has(c.id)) problems.push(`${where}: cell ${i} repeats the id '${c.id}' of cell ${seen.get(c.id)}`);
    else seen.set(c.id, i);
  });
  return problems;
}

/** Problems that make a notebook unfit to commit: outputs or execution counts. Empty when clean. */
export function outputProblems(nb: Notebook, where: string): string[] {
  const problems: string[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    if (c.outputs && c.outputs.length > 0) problems.push(`${where}: cell ${i} has ${c.outputs.length} output(s)`);
    if (c.execution_count !== null && c.execution_count !== undefined) problems.push(`${where}: cell ${i} has execution_count ${c.execution_count}`);
  });
  return problems;
}

/** Clears outputs and execution counts (what `npm run notebooks:clean` does). */
export function stripOutputs(nb: Notebook): Notebook {
  const out: Notebook = JSON.parse(JSON.stringify(nb));
  for (const c of out.cells) {
    if (c.cell_type !== 'code') continue;
    c.outputs = [];
    c.execution_count = null;
  }
  return out;
}

export interface CellFailure {
  cell: number;
  source: string;
  message: string;
}

function text(v: unknown): string {
  return Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '';
}

/**
 * The failure of cell `index` of an executed notebook: its stderr (where tslab writes the message) and any error
 * output (ename, evalue, traceback without colour codes).
 */
export function firstFailure(nb: Notebook, index: number): CellFailure {
  const c = nb.cells[index];
  const outputs = c.outputs ?? [];
  const stderr = outputs
    .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
    .map((o) => text(o.text))
    .join('');
  const error = outputs.find((o) => o.output_type === 'error');
  const parts = [stderr.trim()];
  if (error) {
    parts.push([error.ename, error.evalue].filter(Boolean).join(': '));
    parts.push(
      text(error.traceback)
        .replace(/\x1b\[[0-9;]*m/g, '')
        .trim(),
    );
  }
  const message = parts.filter(Boolean).join('\n');
  return { cell: index, source: cellSource(c), message: message || '(the kernel reported an error without a message)' };
}

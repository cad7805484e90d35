/** Layout changes of row-major float32 matrices, for importing and exporting other frameworks' weights. */

/**
 * (rows, cols) -> (cols, rows). With rowOrder, output column r takes input row rowOrder[r], and the input may have
 * more rows than the output (picking one part of a fused matrix).
 */
export function transposeOutIn(w: Float32Array, rows: number, cols: number, rowOrder?: number[]): Float32Array {
  const available = w.length / cols;
  if (!Number.isInteger(available) || (rowOrder ? Math.max(...rowOrder) >= available : available !== rows)) {
    throw new Error(`transpose: ${w.length} values do not hold the ${rows} x ${cols} matrix asked for`);
  }
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = rowOrder ? rowOrder[r] : r;
    for (let c = 0; c < cols; c++) t[c * rows + r] = w[src * cols + c];
  }
  return t;
}

/** (rows, n * cols) -> n matrices (rows, cols), split by column blocks. */
export function splitColumns(w: Float32Array, rows: number, n: number): Float32Array[] {
  const total = w.length / rows;
  const cols = total / n;
  if (!Number.isInteger(cols)) throw new Error(`splitColumns: ${total} columns do not split into ${n} equal parts`);
  return Array.from({ length: n }, (_, k) => {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) out.set(w.subarray(r * total + k * cols, r * total + (k + 1) * cols), r * cols);
    return out;
  });
}

/** Inverse of splitColumns. */
export function concatColumns(parts: Float32Array[], rows: number): Float32Array {
  const cols = parts.map((p) => p.length / rows);
  const total = cols.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    parts.forEach((p, k) => {
      out.set(p.subarray(r * cols[k], (r + 1) * cols[k]), at);
      at += cols[k];
    });
  }
  return out;
}

/** Row indices of GPT-NeoX's fused query_key_value output, laid out [head][q, k, v][headDim], for part 0|1|2. */
export function neoxRows(part: number, nHeads: number, headDim: number): number[] {
  const rows: number[] = [];
  for (let h = 0; h < nHeads; h++) for (let j = 0; j < headDim; j++) rows.push(h * 3 * headDim + part * headDim + j);
  return rows;
}

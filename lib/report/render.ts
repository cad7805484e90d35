/** Reading a rendered page: how many of our figures exist and how many plotly actually drew. */

/**
 * In a DOM dumped after load: figures = our figure divs (id "imrm-fig-..."); drawn = those whose element plotly
 * turned into a plot (class js-plotly-plot) and that contain an SVG layer (class main-svg) before the next figure.
 */
export function countDrawnFigures(dom: string): { figures: number; drawn: number } {
  const opens = [...dom.matchAll(/<div[^>]*\bid="imrm-fig-[^"]*"[^>]*>/g)];
  let drawn = 0;
  opens.forEach((m, i) => {
    const end = i + 1 < opens.length ? opens[i + 1].index! : dom.length;
    const body = dom.slice(m.index!, end);
    if (/\bjs-plotly-plot\b/.test(m[0]) && body.includes('main-svg')) drawn++;
  });
  return { figures: opens.length, drawn };
}

/**
 * Rotary embedding frequencies. Pair j of the rotated dimensions turns by angle t * f_j at position t, with
 * f_j = base^(-2j / rot). Llama 3 ("rope_type": "llama3") rescales them: wavelengths longer than
 * originalContext / lowFreqFactor are slowed by `factor`, those shorter than originalContext / highFreqFactor are
 * kept, and the ones between are interpolated smoothly (as transformers computes them).
 */
export interface RotaryScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContext: number;
}

export function rotaryFrequencies(rot: number, base: number, scaling: RotaryScaling | null = null): number[] {
  const freqs = Array.from({ length: rot / 2 }, (_, j) => base ** (-(2 * j) / rot));
  if (!scaling) return freqs;
  const { factor, lowFreqFactor, highFreqFactor, originalContext } = scaling;
  const lowWavelength = originalContext / lowFreqFactor;
  const highWavelength = originalContext / highFreqFactor;
  return freqs.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < highWavelength) return f;
    if (wavelength > lowWavelength) return f / factor;
    const smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

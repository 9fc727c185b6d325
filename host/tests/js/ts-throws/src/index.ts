interface Input {
  n: number;
}

// The types vanish in the bundle; the source map keeps the lines.
export default function handler(input: Input): number {
  if (input.n < 0) {
    throw new RangeError(`n must not be negative, got ${input.n}`);
  }
  return input.n;
}

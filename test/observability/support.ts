import { expect } from "vitest";

/**
 * The value of one sample, found by name and labels in any order (`name{a="1",b="2"}`), or
 * undefined when the series is absent.
 */
export function sample(text: string, series: string): number | undefined {
  const wanted = parseSample(series)?.key;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const parsed = parseSample(line);
    if (parsed && parsed.key === wanted) return Number(parsed.value);
  }
  return undefined;
}

function parseSample(line: string): { key: string; value: string | undefined } | undefined {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?(?: (.+))?$/.exec(line);
  if (!match) return undefined;
  const labels = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => `${key}=${value}`).sort();
  return { key: `${match[1]}{${labels.join(",")}}`, value: match[3] };
}

/**
 * Asserts each series' sample at once (name and labels as `sample` reads them): a failure shows
 * every value that differs, not only the first.
 */
export function expectSamples(text: string, expected: Record<string, number>): void {
  const actual = Object.fromEntries(Object.keys(expected).map((series) => [series, sample(text, series)]));
  expect(actual).toEqual(expected);
}

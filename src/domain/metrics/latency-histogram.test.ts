import { describe, expect, it } from 'vitest';
import {
  addHistogram,
  bucketOf,
  emptyHistogram,
  histogramQuantile,
  LATENCY_BUCKET_COUNT,
} from './latency-histogram.js';

describe('latency histogram', () => {
  it('puts a latency in the first bucket whose bound holds it, the open bucket above the last', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(10)).toBe(0);
    expect(bucketOf(11)).toBe(1);
    expect(bucketOf(300_000)).toBe(LATENCY_BUCKET_COUNT - 2);
    expect(bucketOf(300_001)).toBe(LATENCY_BUCKET_COUNT - 1);
  });

  it('reads percentiles from summed histograms as bucket upper bounds', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    for (let i = 0; i < 98; i++) a[bucketOf(20)] = (a[bucketOf(20)] ?? 0) + 1;
    b[bucketOf(2000)] = 2;
    const sum = addHistogram(emptyHistogram(), a);
    addHistogram(sum, b);
    expect(histogramQuantile(sum, 0.5)).toBe(25);
    expect(histogramQuantile(sum, 0.99)).toBe(2500);
    expect(histogramQuantile(emptyHistogram(), 0.5)).toBeUndefined();
    const slow = emptyHistogram();
    slow[LATENCY_BUCKET_COUNT - 1] = 1;
    expect(histogramQuantile(slow, 0.99)).toBe(300_000);
  });
});

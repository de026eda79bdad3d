package io.latentwatch.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pixel AUROC and AUPRO on cases worked by hand, against the definitions computed naively, and at full size. */
class PixelMetricsTest {

    private static final boolean T = true;
    private static final boolean F = false;

    @Test
    void pixelAurocCountsEveryPixelAndTiesAsHalf() {
        // 2 frames of 2 x 2; positives 0.9 and 0.4, negatives 0.1 0.4 0.2 | 0.3 0.4 0.05:
        // 0.9 beats all 6; 0.4 beats 0.1 0.2 0.3 0.05 and ties two 0.4s: 4 + 1 -> (6 + 5) / 12
        float[][] maps = {{0.9f, 0.1f, 0.4f, 0.2f}, {0.3f, 0.4f, 0.4f, 0.05f}};
        boolean[][] masks = {{T, F, F, F}, {F, T, F, F}};
        assertEquals(11.0 / 12, PixelMetrics.auroc(2, maps, masks), 1e-12);
        // the same as the image-level AUROC of the pixels taken one by one
        assertEquals(DetectionMetrics.auroc(new double[] {0.1f, 0.4f, 0.2f, 0.3f, 0.4f, 0.05f}, new double[] {0.9f, 0.4f}),
                PixelMetrics.auroc(2, maps, masks), 1e-12);
        PixelMetrics.Result r = PixelMetrics.measure(2, maps, masks);
        assertEquals(8, r.pixels());
        assertEquals(2, r.positivePixels());
        assertEquals(2, r.regions());
    }

    @Test
    void auproAveragesTheRegionsOverlapUpToThirtyPercentFalsePositives() {
        // region A: frame 0 pixel 0 (1 pixel); region B: frame 1 pixels 0 and 1 (2 pixels); 5 negative pixels.
        // Descending: 0.9 (A) -> fpr 0, pro 0.5; 0.8 (B) -> fpr 0, pro 0.75; 0.6 (neg) -> fpr 0.2, pro 0.75;
        // 0.5 (neg) -> fpr 0.4, cut at 0.3: area 0.2 * 0.75 + 0.1 * 0.75 = 0.225, / 0.3 = 0.75
        float[][] maps = {{0.9f, 0.1f, 0.5f, 0.2f}, {0.8f, 0.3f, 0.6f, 0.05f}};
        boolean[][] masks = {{T, F, F, F}, {T, T, F, F}};
        assertEquals(0.75, PixelMetrics.aupro(2, maps, masks), 1e-12);
        // up to 1: then 0.5 -> (0.4, 0.75), 0.3 (B) -> (0.4, 1), 0.2, 0.1, 0.05 -> (0.6, 1), (0.8, 1), (1, 1):
        // 0.15 + 0.15 + 0.2 + 0.2 + 0.2 = 0.9
        assertEquals(0.9, PixelMetrics.measure(2, maps, masks, 1.0).aupro(), 1e-12);
        assertEquals(2, PixelMetrics.measure(2, maps, masks).regions());
    }

    @Test
    void regionsAreEightConnectedAndPerFrame() {
        // a diagonal is one region; the same pixels in two frames are two
        boolean[][] masks = {{T, F, F, T}, {T, F, F, T}};
        float[][] maps = {{1, 0, 0, 1}, {1, 0, 0, 1}};
        PixelMetrics.Result r = PixelMetrics.measure(2, maps, masks);
        assertEquals(2, r.regions());
        assertEquals(1.0, r.auroc(), 1e-12);
        assertEquals(1.0, r.aupro(), 1e-12);
    }

    @Test
    void aMapOfOneValueIsChanceAndNanIsTheHighest() {
        float[][] flat = {{0.5f, 0.5f, 0.5f, 0.5f}};
        boolean[][] mask = {{T, F, F, F}};
        assertEquals(0.5, PixelMetrics.auroc(2, flat, mask), 1e-12);
        // all at once: fpr jumps 0 -> 1 with pro 0 -> 1, the cut at 0.3 has height 0.3: area 0.045, / 0.3
        assertEquals(0.15, PixelMetrics.aupro(2, flat, mask), 1e-12);
        float[][] nan = {{Float.NaN, Float.POSITIVE_INFINITY, 0f, -0f}};
        assertEquals(1.0, PixelMetrics.auroc(2, nan, mask), 1e-12);
        // -0 and 0 are one value: the negative 0 and -0 tie with each other, not with the positive
        assertEquals(1.0, PixelMetrics.auroc(2, new float[][] {{1f, 0f, -0f, 0f}}, mask), 1e-12);
    }

    @Test
    void withoutPositiveOrNegativePixelsBothAreNan() {
        PixelMetrics.Result none = PixelMetrics.measure(2, new float[][] {{1, 2, 3, 4}}, new boolean[][] {{F, F, F, F}});
        assertTrue(Double.isNaN(none.auroc()) && Double.isNaN(none.aupro()));
        assertEquals(0, none.regions());
        PixelMetrics.Result all = PixelMetrics.measure(2, new float[][] {{1, 2, 3, 4}}, new boolean[][] {{T, T, T, T}});
        assertTrue(Double.isNaN(all.auroc()) && Double.isNaN(all.aupro()));
        PixelMetrics.Result empty = PixelMetrics.measure(2, new float[0][], new boolean[0][]);
        assertTrue(Double.isNaN(empty.auroc()));
    }

    @Test
    void mismatchedInputsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PixelMetrics.measure(2, new float[][] {{1, 2, 3, 4}}, new boolean[0][]));
        assertEquals("1 maps but 0 masks", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PixelMetrics.measure(2, new float[][] {{1, 2, 3}}, new boolean[][] {{T, F, F, F}}));
        assertEquals("frame 0: expected 4 map values and mask pixels (2 x 2), got 3 and 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PixelMetrics.measure(2, new float[0][], new boolean[0][], 0));
    }

    @Test
    void agreesWithTheDefinitionsComputedNaivelyOnRandomMapsWithTies() {
        Random r = new Random(3);
        int size = 6;
        for (int trial = 0; trial < 20; trial++) {
            int frames = 1 + r.nextInt(4);
            float[][] maps = new float[frames][size * size];
            boolean[][] masks = new boolean[frames][size * size];
            for (int f = 0; f < frames; f++) {
                for (int i = 0; i < size * size; i++) {
                    masks[f][i] = r.nextInt(5) == 0;
                    maps[f][i] = r.nextInt(8) + (masks[f][i] ? 2 : 0); // few values: many ties
                }
            }
            masks[0][0] = true;
            masks[0][1] = false;
            for (double maxFpr : new double[] {0.3, 1.0}) {
                PixelMetrics.Result m = PixelMetrics.measure(size, maps, masks, maxFpr);
                assertEquals(naiveAupro(size, maps, masks, maxFpr), m.aupro(), 1e-9, "trial " + trial + ", max fpr " + maxFpr);
            }
            List<Double> neg = new ArrayList<>();
            List<Double> pos = new ArrayList<>();
            for (int f = 0; f < frames; f++) {
                for (int i = 0; i < size * size; i++) {
                    (masks[f][i] ? pos : neg).add((double) maps[f][i]);
                }
            }
            assertEquals(DetectionMetrics.auroc(neg.stream().mapToDouble(d -> d).toArray(), pos.stream().mapToDouble(d -> d).toArray()),
                    PixelMetrics.auroc(size, maps, masks), 1e-12, "trial " + trial);
        }
    }

    @Test
    void twoThousandFramesOf64x64AreMeasured() {
        int frames = 2000;
        int size = 64;
        Random r = new Random(1);
        float[][] maps = new float[frames][size * size];
        boolean[][] masks = new boolean[frames][size * size];
        for (int f = 0; f < frames; f++) {
            int x0 = r.nextInt(size - 8);
            int y0 = r.nextInt(size - 8);
            boolean anomalous = f % 2 == 1;
            for (int i = 0; i < size * size; i++) {
                int x = i % size;
                int y = i / size;
                masks[f][i] = anomalous && x >= x0 && x < x0 + 8 && y >= y0 && y < y0 + 8;
                maps[f][i] = (float) r.nextGaussian() + (masks[f][i] ? 2 : 0);
            }
        }
        long t0 = System.nanoTime();
        PixelMetrics.Result m = PixelMetrics.measure(size, maps, masks);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1000, m.regions());
        assertEquals(64_000, m.positivePixels());
        // a shift of 2 standard deviations: AUROC = Phi(2 / sqrt 2) = 0.921
        assertEquals(0.921, m.auroc(), 0.005);
        assertTrue(m.aupro() > 0.3 && m.aupro() < m.auroc(), "aupro " + m.aupro());
        assertTrue(seconds < 30, seconds + " s");
    }

    /** PRO and FPR at every distinct value from the top, regions labelled by repeated merging, trapezoids to maxFpr. */
    private static double naiveAupro(int size, float[][] maps, boolean[][] masks, double maxFpr) {
        List<List<int[]>> regions = new ArrayList<>();
        for (int f = 0; f < maps.length; f++) {
            int[] label = new int[size * size];
            for (int i = 0; i < label.length; i++) {
                label[i] = masks[f][i] ? i + 1 : 0;
            }
            boolean changed = true;
            while (changed) { // every mask pixel takes the largest label among its 8 neighbours until none changes
                changed = false;
                for (int i = 0; i < label.length; i++) {
                    if (label[i] == 0) {
                        continue;
                    }
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int x = i % size + dx;
                            int y = i / size + dy;
                            if (x >= 0 && y >= 0 && x < size && y < size && label[y * size + x] > label[i]) {
                                label[i] = label[y * size + x];
                                changed = true;
                            }
                        }
                    }
                }
            }
            TreeSet<Integer> ids = new TreeSet<>();
            for (int l : label) {
                if (l != 0) {
                    ids.add(l);
                }
            }
            for (int id : ids) {
                List<int[]> pixels = new ArrayList<>();
                for (int i = 0; i < label.length; i++) {
                    if (label[i] == id) {
                        pixels.add(new int[] {f, i});
                    }
                }
                regions.add(pixels);
            }
        }
        TreeSet<Float> values = new TreeSet<>();
        long negatives = 0;
        for (int f = 0; f < maps.length; f++) {
            for (int i = 0; i < size * size; i++) {
                values.add(maps[f][i]);
                negatives += masks[f][i] ? 0 : 1;
            }
        }
        double fpr = 0;
        double pro = 0;
        double area = 0;
        for (float t : values.descendingSet()) {
            long fp = 0;
            for (int f = 0; f < maps.length; f++) {
                for (int i = 0; i < size * size; i++) {
                    fp += !masks[f][i] && maps[f][i] >= t ? 1 : 0;
                }
            }
            double overlap = 0;
            for (List<int[]> region : regions) {
                overlap += region.stream().filter(p -> maps[p[0]][p[1]] >= t).count() / (double) region.size();
            }
            double nf = (double) fp / negatives;
            double np = overlap / regions.size();
            if (nf >= maxFpr) {
                double cut = pro + (maxFpr - fpr) / (nf - fpr) * (np - pro);
                return (area + (maxFpr - fpr) * (pro + cut) / 2) / maxFpr;
            }
            area += (nf - fpr) * (pro + np) / 2;
            fpr = nf;
            pro = np;
        }
        return area / maxFpr;
    }
}

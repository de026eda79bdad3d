package io.latentwatch.evaluation;

import java.util.Arrays;

/**
 * Pixel-level localisation metrics of anomaly maps against ground-truth masks, as MVTec AD and anomalib report
 * them:
 *
 * <ul>
 *   <li>pixel AUROC: every pixel of every frame is one sample, positive inside its frame's mask; ties count half
 *       (the area under the ROC curve drawn through every distinct map value).
 *   <li>AUPRO (Bergmann et al., "The MVTec Anomaly Detection Dataset", IJCV 2021; anomalib's {@code AUPRO}): at each
 *       threshold, the per-region overlap (PRO) is the mean, over the connected regions of the masks (8-neighbours,
 *       each frame on its own), of the share of a region's pixels above the threshold; the false-positive rate is
 *       the share of all negative pixels above it. The PRO curve is integrated over false-positive rates 0 to
 *       {@value #MAX_FPR} (trapezoids, the last one cut at {@value #MAX_FPR} by linear interpolation) and divided by
 *       {@value #MAX_FPR}, so a perfect map scores 1.
 * </ul>
 *
 * A NaN map value counts as the highest (a non-finite frame is where the maps point, as in
 * {@link io.latentwatch.scoring.AnomalyMap#peak()}). Without a positive or without a negative pixel both metrics are
 * undefined: NaN.
 *
 * <p>Memory: one long per pixel (its value and its region packed together, sorted once) and one int per region:
 * 2,000 frames of 64 × 64 take 66 MB while measuring.
 */
public final class PixelMetrics {

    /** The false-positive rate up to which AUPRO integrates, as in MVTec AD and anomalib. */
    public static final double MAX_FPR = 0.3;

    /**
     * The figures of one measurement.
     *
     * @param auroc pixel AUROC, NaN without positive or negative pixels
     * @param aupro AUPRO up to {@link #MAX_FPR}, normalised; NaN without positive or negative pixels
     * @param pixels all pixels measured
     * @param positivePixels pixels inside a mask
     * @param regions connected regions of the masks
     */
    public record Result(double auroc, double aupro, long pixels, long positivePixels, int regions) {}

    private PixelMetrics() {}

    /**
     * Measures maps against masks.
     *
     * @param size the side of the maps and masks (each size × size values, row-major)
     * @param maps one map per frame
     * @param masks one mask per frame, in the same order; true = anomalous pixel
     * @throws IllegalArgumentException if the counts or lengths differ, or the pixels exceed what an array holds
     */
    public static Result measure(int size, float[][] maps, boolean[][] masks) {
        return measure(size, maps, masks, MAX_FPR);
    }

    /** As {@link #measure(int, float[][], boolean[][])}, AUPRO integrated up to {@code maxFpr} (0 < maxFpr ≤ 1). */
    public static Result measure(int size, float[][] maps, boolean[][] masks, double maxFpr) {
        if (!(maxFpr > 0 && maxFpr <= 1)) {
            throw new IllegalArgumentException("maxFpr must be in (0, 1], got " + maxFpr);
        }
        if (maps.length != masks.length) {
            throw new IllegalArgumentException(maps.length + " maps but " + masks.length + " masks");
        }
        int plane = size * size;
        long total = (long) maps.length * plane;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(total + " pixels are more than one measurement holds; measure fewer frames");
        }
        long[] keys = new long[(int) total];
        int[] regionSizes = new int[16];
        int regions = 0;
        long positives = 0;
        int[] labels = new int[plane];
        int[] stack = new int[plane];
        for (int f = 0; f < maps.length; f++) {
            if (maps[f].length != plane || masks[f].length != plane) {
                throw new IllegalArgumentException("frame " + f + ": expected " + plane + " map values and mask pixels (" + size + " x "
                        + size + "), got " + maps[f].length + " and " + masks[f].length);
            }
            // connected regions of this frame's mask: labels[i] = 1 + global region number, 0 outside
            Arrays.fill(labels, 0);
            boolean[] mask = masks[f];
            for (int start = 0; start < plane; start++) {
                if (!mask[start] || labels[start] != 0) {
                    continue;
                }
                int id = ++regions;
                if (id > regionSizes.length - 1) {
                    regionSizes = Arrays.copyOf(regionSizes, 2 * regionSizes.length);
                }
                int top = 0;
                stack[top++] = start;
                labels[start] = id;
                while (top > 0) {
                    int i = stack[--top];
                    regionSizes[id]++;
                    int x = i % size;
                    int y = i / size;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int nx = x + dx;
                            int ny = y + dy;
                            if (nx >= 0 && ny >= 0 && nx < size && ny < size) {
                                int j = ny * size + nx;
                                if (mask[j] && labels[j] == 0) {
                                    labels[j] = id;
                                    stack[top++] = j;
                                }
                            }
                        }
                    }
                }
            }
            int base = f * plane;
            float[] map = maps[f];
            for (int i = 0; i < plane; i++) {
                keys[base + i] = (long) sortable(map[i]) << 32 | labels[i];
                positives += labels[i] != 0 ? 1 : 0;
            }
        }
        long negatives = total - positives;
        if (positives == 0 || negatives == 0) {
            return new Result(Double.NaN, Double.NaN, total, positives, regions);
        }
        Arrays.sort(keys);
        return new Result(auroc(keys, positives, negatives), aupro(keys, regionSizes, regions, negatives, maxFpr), total, positives, regions);
    }

    /** Pixel AUROC of maps against masks (see {@link #measure}). */
    public static double auroc(int size, float[][] maps, boolean[][] masks) {
        return measure(size, maps, masks).auroc();
    }

    /** AUPRO of maps against masks up to {@link #MAX_FPR} (see {@link #measure}). */
    public static double aupro(int size, float[][] maps, boolean[][] masks) {
        return measure(size, maps, masks).aupro();
    }

    /** A float's bits as an int that orders as the floats do, NaN above +∞, −0 equal to 0. */
    private static int sortable(float v) {
        int b = Float.floatToIntBits(v == 0f ? 0f : v);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    private static int value(long key) {
        return (int) (key >> 32);
    }

    private static int region(long key) {
        return (int) key;
    }

    /** Mann-Whitney over ascending keys: each positive beats the negatives below it, and half of those it ties. */
    private static double auroc(long[] keys, long positives, long negatives) {
        double wins = 0;
        long below = 0;
        int i = 0;
        while (i < keys.length) {
            int v = value(keys[i]);
            long p = 0;
            long n = 0;
            for (; i < keys.length && value(keys[i]) == v; i++) {
                if (region(keys[i]) != 0) {
                    p++;
                } else {
                    n++;
                }
            }
            wins += p * (below + 0.5 * n);
            below += n;
        }
        return wins / ((double) positives * negatives);
    }

    /** The PRO curve from the highest threshold down, one point per distinct value, integrated up to maxFpr. */
    private static double aupro(long[] keys, int[] regionSizes, int regions, long negatives, double maxFpr) {
        double[] inverse = new double[regions + 1];
        for (int r = 1; r <= regions; r++) {
            inverse[r] = 1.0 / regionSizes[r];
        }
        double overlapSum = 0;
        long falsePositives = 0;
        double fpr = 0;
        double pro = 0;
        double area = 0;
        int i = keys.length - 1;
        while (i >= 0) {
            int v = value(keys[i]);
            for (; i >= 0 && value(keys[i]) == v; i--) {
                int r = region(keys[i]);
                if (r != 0) {
                    overlapSum += inverse[r];
                } else {
                    falsePositives++;
                }
            }
            double nextFpr = (double) falsePositives / negatives;
            double nextPro = overlapSum / regions;
            if (nextFpr >= maxFpr) {
                // the trapezoid cut at maxFpr, its height interpolated
                double t = (maxFpr - fpr) / (nextFpr - fpr);
                double cut = pro + t * (nextPro - pro);
                area += (maxFpr - fpr) * (pro + cut) / 2;
                return area / maxFpr;
            }
            area += (nextFpr - fpr) * (pro + nextPro) / 2;
            fpr = nextFpr;
            pro = nextPro;
        }
        return area / maxFpr; // not reached: the lowest threshold gives a false-positive rate of 1
    }
}

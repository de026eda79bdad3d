package io.latentwatch.evaluation;

import java.util.Arrays;
import java.util.List;

/** Pixel-level detection metrics of anomaly maps against ground-truth masks (interim: AUROC only). */
public final class PixelMetrics {

    private PixelMetrics() {}

    /** The pixel AUROC: the chance that a pixel inside a mask outscores one outside (ties count half); NaN without both. */
    public static double auroc(List<float[]> maps, List<boolean[]> masks) {
        int pos = 0;
        int neg = 0;
        for (boolean[] m : masks) {
            for (boolean b : m) {
                if (b) {
                    pos++;
                } else {
                    neg++;
                }
            }
        }
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        float[] p = new float[pos];
        float[] n = new float[neg];
        int ip = 0;
        int in = 0;
        for (int f = 0; f < maps.size(); f++) {
            float[] v = maps.get(f);
            boolean[] m = masks.get(f);
            for (int i = 0; i < v.length; i++) {
                if (m[i]) {
                    p[ip++] = v[i];
                } else {
                    n[in++] = v[i];
                }
            }
        }
        Arrays.sort(p);
        Arrays.sort(n);
        double wins = 0;
        int below = 0;
        int upTo = 0;
        for (float v : p) {
            while (below < neg && n[below] < v) {
                below++;
            }
            upTo = Math.max(upTo, below);
            while (upTo < neg && n[upTo] <= v) {
                upTo++;
            }
            wins += below + 0.5 * (upTo - below);
        }
        return wins / ((double) pos * neg);
    }

    /** Not yet measured here. */
    public static double aupro(List<float[]> maps, List<boolean[]> masks, int size) {
        return Double.NaN;
    }
}

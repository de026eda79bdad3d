package io.latentwatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The anomaly map's maths against a direct double-precision computation (2-D windows, zero padding). */
class ReconstructionMapTest {

    private static final int B = 2;
    private static final int C = 3;
    private static final int S = 12;

    @Test
    void l2IsTheChannelMeanOfTheSquaredErrorSmoothedByANormalisedGaussian() {
        float[] recon = random(1);
        float[] x = random(2);
        for (double sigma : new double[] {0, 1.0, 2.0}) {
            float[] map = run(new ReconstructionMap(ReconstructionMap.Kind.L2, sigma), recon, x, false);
            double[] e = new double[B * S * S];
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < S * S; i++) {
                    double sum = 0;
                    for (int c = 0; c < C; c++) {
                        double d = recon[(b * C + c) * S * S + i] - x[(b * C + c) * S * S + i];
                        sum += d * d;
                    }
                    e[b * S * S + i] = sum / C;
                }
            }
            double[] expected = sigma == 0 ? e : blur(e, sigma);
            assertClose(expected, map, 1e-5, "l2 sigma " + sigma);
        }
    }

    @Test
    void ssimErrorMatchesTheDirectFormulaAndIsZeroForAPerfectReconstruction() {
        float[] recon = random(3);
        float[] x = random(4);
        ReconstructionMap ssim = new ReconstructionMap(ReconstructionMap.Kind.SSIM, 0);
        float[] map = run(ssim, recon, x, false);
        double c1 = Math.pow(0.02, 2);
        double c2 = Math.pow(0.06, 2);
        double[] expected = new double[B * S * S];
        for (int b = 0; b < B; b++) {
            for (int c = 0; c < C; c++) {
                double[] p = plane(recon, b, c);
                double[] q = plane(x, b, c);
                double[] mp = blur(p, ReconstructionMap.SSIM_SIGMA);
                double[] mq = blur(q, ReconstructionMap.SSIM_SIGMA);
                double[] pp = blur(mul(p, p), ReconstructionMap.SSIM_SIGMA);
                double[] qq = blur(mul(q, q), ReconstructionMap.SSIM_SIGMA);
                double[] pq = blur(mul(p, q), ReconstructionMap.SSIM_SIGMA);
                for (int i = 0; i < S * S; i++) {
                    double vp = pp[i] - mp[i] * mp[i];
                    double vq = qq[i] - mq[i] * mq[i];
                    double cov = pq[i] - mp[i] * mq[i];
                    double s = (2 * mp[i] * mq[i] + c1) * (2 * cov + c2) / ((mp[i] * mp[i] + mq[i] * mq[i] + c1) * (vp + vq + c2));
                    expected[b * S * S + i] += (1 - s) / 2 / C;
                }
            }
        }
        assertClose(expected, map, 1e-4, "ssim");
        for (float v : run(ssim, x, x, false)) {
            assertEquals(0, v, 1e-5, "a perfect reconstruction has no structural error");
        }
    }

    @Test
    void channelsLastInputsGiveTheSameMap() {
        float[] recon = random(5);
        float[] x = random(6);
        for (ReconstructionMap.Kind kind : ReconstructionMap.Kind.values()) {
            ReconstructionMap m = new ReconstructionMap(kind, 1.5);
            float[] nchw = run(m, recon, x, false);
            float[] nhwc = run(m, recon, x, true);
            for (int i = 0; i < nchw.length; i++) {
                assertEquals(nchw[i], nhwc[i], 1e-5, kind + " pixel " + i);
            }
        }
    }

    @Test
    void refusesANegativeSigmaAndUnknownKinds() {
        assertThrows(IllegalArgumentException.class, () -> new ReconstructionMap(ReconstructionMap.Kind.L2, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReconstructionMap.Kind.fromLabel("l1"));
        assertTrue(e.getMessage().contains("l2, ssim"), e.getMessage());
        assertEquals(ReconstructionMap.Kind.SSIM, ReconstructionMap.Kind.fromLabel(" SSIM "));
    }

    private static float[] run(ReconstructionMap map, float[] recon, float[] x, boolean channelsLast) {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(B, C, S, S);
            NDArray r = m.create(recon, shape);
            NDArray in = m.create(x, shape);
            if (channelsLast) {
                r = MemoryLayout.NHWC.arrange(r);
                in = MemoryLayout.NHWC.arrange(in);
            }
            NDArray out = map.apply(r, in);
            assertEquals(new Shape(B, S, S), out.getShape());
            return out.toFloatArray();
        }
    }

    private static float[] random(long seed) {
        Random r = new Random(seed);
        float[] v = new float[B * C * S * S];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static double[] plane(float[] v, int b, int c) {
        double[] p = new double[S * S];
        for (int i = 0; i < p.length; i++) {
            p[i] = v[(b * C + c) * S * S + i];
        }
        return p;
    }

    private static double[] mul(double[] a, double[] b) {
        double[] o = new double[a.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = a[i] * b[i];
        }
        return o;
    }

    /** A 2-D Gaussian window of radius ⌈3σ⌉, zero outside the image, over each S × S plane of {@code v}. */
    private static double[] blur(double[] v, double sigma) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] g = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            g[i + r] = Math.exp(-0.5 * i * i / (sigma * sigma));
            sum += g[i + r];
        }
        double[] out = new double[v.length];
        for (int p = 0; p < v.length / (S * S); p++) {
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) {
                    double acc = 0;
                    for (int dy = -r; dy <= r; dy++) {
                        for (int dx = -r; dx <= r; dx++) {
                            int yy = y + dy;
                            int xx = x + dx;
                            if (yy >= 0 && yy < S && xx >= 0 && xx < S) {
                                acc += g[dy + r] * g[dx + r] / (sum * sum) * v[p * S * S + yy * S + xx];
                            }
                        }
                    }
                    out[p * S * S + y * S + x] = acc;
                }
            }
        }
        return out;
    }

    private static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * Math.max(1, scale), what + " at " + i);
        }
    }
}

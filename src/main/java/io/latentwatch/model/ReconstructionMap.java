package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;

/**
 * How a frame's per-pixel reconstruction error is measured: the anomaly map before standardisation, (batch, H, W)
 * float32, computed on the model's device in the scorer's batch. Both kinds average over the channels and are
 * smoothed by a Gaussian of {@code sigma} pixels (separable, zero-padded; the per-pixel statistics of normal
 * frames absorb what the padding does at the border).
 *
 * <ul>
 *   <li>{@link Kind#L2}: (x̂ − x)².
 *   <li>{@link Kind#SSIM}: (1 − SSIM(x̂, x)) / 2 over a Gaussian window of σ = 1.5 (Wang et al. 2004; the structural
 *       error of Bergmann et al. 2019's AE-SSIM), for a data range of 2 ([−1, 1]).
 * </ul>
 *
 * Immutable; it holds no arrays (its band matrices are made in the scope of each call).
 */
public final class ReconstructionMap {

    /** The error measured per pixel. */
    public enum Kind {
        L2,
        SSIM;

        /** Lower-case, as in model.json and on the command line. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The kind for a label, case-insensitive. */
        public static Kind fromLabel(String label) {
            for (Kind k : values()) {
                if (k.label().equalsIgnoreCase(label.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown anomaly map \"" + label + "\" (known: l2, ssim)");
        }
    }

    /** SSIM's window (Wang et al. 2004). */
    static final double SSIM_SIGMA = 1.5;
    private static final double C1 = Math.pow(0.01 * 2, 2);
    private static final double C2 = Math.pow(0.03 * 2, 2);

    private final Kind kind;
    private final double sigma;

    /**
     * @param sigma the smoothing Gaussian's standard deviation in pixels; 0 for none
     * @throws IllegalArgumentException for a negative or non-finite sigma
     */
    public ReconstructionMap(Kind kind, double sigma) {
        if (!(sigma >= 0 && sigma <= 64)) {
            throw new IllegalArgumentException("anomaly map sigma must be in [0, 64] pixels, got " + sigma);
        }
        this.kind = kind;
        this.sigma = sigma;
    }

    public Kind kind() {
        return kind;
    }

    public double sigma() {
        return sigma;
    }

    /**
     * The map of a batch.
     *
     * @param recon reconstructions (batch, C, H, W), any layout, float32
     * @param x the inputs, same shape, float32
     * @return (batch, H, W) float32, contiguous
     */
    public NDArray apply(NDArray recon, NDArray x) {
        Shape s = x.getShape();
        long batch = s.get(0);
        long channels = s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDManager m = x.getManager();
        NDArray error;
        if (kind == Kind.L2) {
            error = recon.sub(x).square().mean(new int[] {1});
        } else {
            // every channel of every frame is one plane; the five window sums share one pair of band matrices
            Blur window = new Blur(m, h, w, SSIM_SIGMA);
            NDArray a = recon.reshape(batch * channels, h, w);
            NDArray b = x.reshape(batch * channels, h, w);
            NDArray muA = window.apply(a);
            NDArray muB = window.apply(b);
            NDArray muAB = muA.mul(muB);
            NDArray muA2 = muA.square();
            NDArray muB2 = muB.square();
            NDArray varA = window.apply(a.square()).sub(muA2);
            NDArray varB = window.apply(b.square()).sub(muB2);
            NDArray cov = window.apply(a.mul(b)).sub(muAB);
            NDArray ssim = muAB.mul(2).add(C1).mul(cov.mul(2).add(C2))
                    .div(muA2.add(muB2).add(C1).mul(varA.add(varB).add(C2)));
            error = ssim.neg().add(1).div(2).reshape(batch, channels, h, w).mean(new int[] {1});
        }
        if (sigma > 0) {
            error = new Blur(m, h, w, sigma).apply(error);
        }
        return error.reshape(batch, h, w);
    }

    /**
     * A separable Gaussian blur of (n, h, w) planes, zero-padded, as two matrix products with the band matrices
     * G[i][j] = g(i − j): G_h · P · G_w (both symmetric). On the CPU this runs faster than two 1-channel
     * convolutions of a long kernel, which PyTorch does not vectorise well. Square planes share one matrix.
     */
    private static final class Blur {
        private final NDArray rows;
        private final NDArray columns;

        Blur(NDManager m, int h, int w, double sigma) {
            columns = band(m, w, sigma);
            rows = h == w ? columns : band(m, h, sigma);
        }

        NDArray apply(NDArray planes) {
            return rows.matMul(planes.matMul(columns));
        }
    }

    /** The (size, size) band matrix of the normalised Gaussian of radius ⌈3σ⌉. */
    private static NDArray band(NDManager m, int size, double sigma) {
        float[] g = gaussian(sigma);
        int r = g.length / 2;
        float[] band = new float[size * size];
        for (int i = 0; i < size; i++) {
            for (int j = Math.max(0, i - r); j <= Math.min(size - 1, i + r); j++) {
                band[i * size + j] = g[j - i + r];
            }
        }
        return m.create(band, new Shape(size, size));
    }

    /** The normalised 1-D Gaussian of radius ⌈3σ⌉ (σ > 0). */
    static float[] gaussian(double sigma) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        float[] g = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            sum += Math.exp(-0.5 * i * i / (sigma * sigma));
        }
        for (int i = -r; i <= r; i++) {
            g[i + r] = (float) (Math.exp(-0.5 * i * i / (sigma * sigma)) / sum);
        }
        return g;
    }

    @Override
    public String toString() {
        return kind.label() + " (sigma " + sigma + ")";
    }
}

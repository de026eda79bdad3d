package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
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
 * Immutable; it holds no arrays (its kernels are made in the scope of each call).
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
        long h = s.get(2);
        long w = s.get(3);
        NDArray error;
        if (kind == Kind.L2) {
            error = recon.sub(x).square().mean(new int[] {1});
        } else {
            NDArray a = planes(recon, batch * channels, h, w);
            NDArray b = planes(x, batch * channels, h, w);
            NDManager m = x.getManager();
            NDArray[] k = kernels(m, SSIM_SIGMA);
            NDArray muA = blur(a, k);
            NDArray muB = blur(b, k);
            NDArray muAB = muA.mul(muB);
            NDArray muA2 = muA.square();
            NDArray muB2 = muB.square();
            NDArray varA = blur(a.square(), k).sub(muA2);
            NDArray varB = blur(b.square(), k).sub(muB2);
            NDArray cov = blur(a.mul(b), k).sub(muAB);
            NDArray ssim = muAB.mul(2).add(C1).mul(cov.mul(2).add(C2))
                    .div(muA2.add(muB2).add(C1).mul(varA.add(varB).add(C2)));
            error = ssim.neg().add(1).div(2).reshape(batch, channels, h, w).mean(new int[] {1});
        }
        if (sigma > 0) {
            NDArray planes = error.reshape(batch, 1, h, w);
            error = blur(planes, kernels(x.getManager(), sigma));
        }
        return error.reshape(batch, h, w);
    }

    /** (n, 1, h, w) contiguous planes of a (batch, C, H, W) array in any layout. */
    private static NDArray planes(NDArray a, long n, long h, long w) {
        return a.reshape(n, 1, h, w);
    }

    /** A separable Gaussian blur of (n, 1, h, w) planes, zero-padded: column pass, then row pass. */
    private static NDArray blur(NDArray planes, NDArray[] k) {
        long r = k[0].getShape().get(2) / 2;
        NDArray bias = k[2];
        NDArray v = Conv2d.conv2d(planes, k[0], bias, new Shape(1, 1), new Shape(r, 0)).singletonOrThrow();
        return Conv2d.conv2d(v, k[1], bias, new Shape(1, 1), new Shape(0, r)).singletonOrThrow();
    }

    /** {column kernel (1, 1, k, 1), row kernel (1, 1, 1, k), zero bias}, radius ⌈3σ⌉, summing to 1. */
    private static NDArray[] kernels(NDManager m, double sigma) {
        float[] g = gaussian(sigma);
        NDArray col = m.create(g, new Shape(1, 1, g.length, 1));
        NDArray row = m.create(g, new Shape(1, 1, 1, g.length));
        return new NDArray[] {col, row, m.zeros(new Shape(1), DataType.FLOAT32)};
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

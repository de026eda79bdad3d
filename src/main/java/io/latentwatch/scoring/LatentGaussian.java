package io.latentwatch.scoring;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelFormatException;

/**
 * A Gaussian fitted to the posterior means μ of normal frames, for the Mahalanobis distance
 * d² = (μ − m)ᵀ Σ⁻¹ (μ − m). DIP-VAE pushes Cov[μ] towards the identity, so Σ is well conditioned; a small ridge
 * (1e-6 of the mean variance, plus 1e-12) keeps it invertible when a latent dimension is unused.
 */
public final class LatentGaussian {

    private final double[] mean;
    /** Σ⁻¹, row-major, dim × dim. */
    private final double[] precision;
    private final int frames;

    private LatentGaussian(double[] mean, double[] precision, int frames) {
        this.mean = mean;
        this.precision = precision;
        this.frames = frames;
    }

    /**
     * Fits mean and covariance (divided by n) to μ vectors.
     *
     * @param mus count × dim values, one μ after another
     * @throws IllegalArgumentException with fewer than 2 vectors, or a non-finite value
     */
    public static LatentGaussian fit(float[] mus, int count, int dim) {
        return fit(mus, count, dim, 0);
    }

    /**
     * As {@link #fit(float[], int, int)}, with the covariance shrunk towards its diagonal: (1 − s)·S + s·diag(S),
     * for few vectors next to the dimensions.
     *
     * @param shrinkage s in [0, 1]
     */
    public static LatentGaussian fit(float[] mus, int count, int dim, double shrinkage) {
        if (!(shrinkage >= 0 && shrinkage <= 1)) {
            throw new IllegalArgumentException("shrinkage must be in [0, 1], got " + shrinkage);
        }
        double[] mean = mean(mus, count, dim);
        double[] cov = scatter(mus, count, dim, mean);
        double trace = 0;
        for (int a = 0; a < dim; a++) {
            for (int b = a; b < dim; b++) {
                cov[a * dim + b] /= count;
                if (b != a) {
                    cov[a * dim + b] *= 1 - shrinkage;
                }
                cov[b * dim + a] = cov[a * dim + b];
            }
            trace += cov[a * dim + a];
        }
        double ridge = 1e-6 * trace / dim + 1e-12;
        for (int a = 0; a < dim; a++) {
            cov[a * dim + a] += ridge;
        }
        return new LatentGaussian(mean, invertSymmetric(cov, dim), count);
    }

    /**
     * Fits with the covariance shrunk towards its diagonal by the intensity that Ledoit and Wolf's estimator
     * (2004) finds for the correlation matrix: δ = min(1, Σ_k ‖z_k z_kᵀ − R‖²_F / (n² ‖R − I‖²_F)), z the
     * standardised vectors and R their sample correlation. Few vectors next to the dimensions give a large δ, many a
     * small one, so small training sets get a well-conditioned Gaussian and large ones keep their correlations.
     */
    public static LatentGaussian fitLedoitWolf(float[] mus, int count, int dim) {
        return fit(mus, count, dim, ledoitWolfShrinkage(mus, count, dim));
    }

    /** The shrinkage intensity {@link #fitLedoitWolf} uses, in [0, 1]. */
    public static double ledoitWolfShrinkage(float[] mus, int count, int dim) {
        double[] mean = mean(mus, count, dim);
        double[] cov = scatter(mus, count, dim, mean);
        double[] std = new double[dim];
        for (int a = 0; a < dim; a++) {
            std[a] = Math.sqrt(cov[a * dim + a] / count) + 1e-12;
        }
        double[] r = new double[dim * dim];
        double offDiagonal = 0; // ‖R − I‖²_F
        double normR = 0; // ‖R‖²_F
        for (int a = 0; a < dim; a++) {
            for (int b = a; b < dim; b++) {
                double v = cov[a * dim + b] / count / (std[a] * std[b]);
                r[a * dim + b] = v;
                r[b * dim + a] = v;
                double w = a == b ? 1 : 2;
                normR += w * v * v;
                if (a != b) {
                    offDiagonal += 2 * v * v;
                }
            }
        }
        if (!(offDiagonal > 0)) {
            return 0;
        }
        // Σ_k ‖z zᵀ − R‖² = Σ_k (‖z‖⁴ − 2 zᵀ R z + ‖R‖²)
        double spread = 0;
        double[] z = new double[dim];
        for (int i = 0; i < count; i++) {
            double norm2 = 0;
            for (int j = 0; j < dim; j++) {
                z[j] = (mus[i * dim + j] - mean[j]) / std[j];
                norm2 += z[j] * z[j];
            }
            double zrz = 0;
            for (int a = 0; a < dim; a++) {
                double row = 0;
                for (int b = 0; b < dim; b++) {
                    row += r[a * dim + b] * z[b];
                }
                zrz += z[a] * row;
            }
            spread += norm2 * norm2 - 2 * zrz + normR;
        }
        double delta = spread / ((double) count * count) / offDiagonal;
        return Math.max(0, Math.min(1, delta));
    }

    /** The mean of the vectors; @throws IllegalArgumentException with fewer than 2, or a non-finite value */
    private static double[] mean(float[] mus, int count, int dim) {
        if (count < 2) {
            throw new IllegalArgumentException("a latent Gaussian needs at least 2 frames, got " + count);
        }
        double[] mean = new double[dim];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < dim; j++) {
                float v = mus[i * dim + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("latent mean of frame " + i + " is not finite");
                }
                mean[j] += v;
            }
        }
        for (int j = 0; j < dim; j++) {
            mean[j] /= count;
        }
        return mean;
    }

    /** Σ_i (x_i − mean)(x_i − mean)ᵀ, its upper triangle filled (row-major, dim × dim). */
    private static double[] scatter(float[] mus, int count, int dim, double[] mean) {
        double[] cov = new double[dim * dim];
        double[] c = new double[dim];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < dim; j++) {
                c[j] = mus[i * dim + j] - mean[j];
            }
            for (int a = 0; a < dim; a++) {
                double ca = c[a];
                for (int b = a; b < dim; b++) {
                    cov[a * dim + b] += ca * c[b];
                }
            }
        }
        return cov;
    }

    /** Latent dimensions. */
    public int dim() {
        return mean.length;
    }

    /** Frames the Gaussian was fitted to. */
    public int frames() {
        return frames;
    }

    /** Squared Mahalanobis distance of a μ vector. */
    public double distanceSquared(float[] mu) {
        int d = mean.length;
        if (mu.length != d) {
            throw new IllegalArgumentException("expected a latent vector of " + d + " values, got " + mu.length);
        }
        double[] c = new double[d];
        for (int j = 0; j < d; j++) {
            c[j] = mu[j] - mean[j];
        }
        double sum = 0;
        for (int a = 0; a < d; a++) {
            double row = 0;
            for (int b = 0; b < d; b++) {
                row += precision[a * d + b] * c[b];
            }
            sum += c[a] * row;
        }
        return sum;
    }

    /** {"frames": n, "mean": [...], "precision": [[...], ...]} (floats, as stored in model.json's calibration). */
    public JsonObject toJson() {
        int d = mean.length;
        JsonObject o = new JsonObject();
        o.addProperty("frames", frames);
        JsonArray m = new JsonArray(d);
        for (double v : mean) {
            m.add((float) v);
        }
        o.add("mean", m);
        JsonArray p = new JsonArray(d);
        for (int a = 0; a < d; a++) {
            JsonArray row = new JsonArray(d);
            for (int b = 0; b < d; b++) {
                row.add((float) precision[a * d + b]);
            }
            p.add(row);
        }
        o.add("precision", p);
        return o;
    }

    /** Reads {@link #toJson()}'s form; messages name it "calibration.latents". */
    public static LatentGaussian fromJson(JsonObject o, int dim) throws ModelFormatException {
        return fromJson(o, dim, "calibration.latents");
    }

    /**
     * Reads {@link #toJson()}'s form.
     *
     * @param what the object's place in model.json, for messages
     * @throws ModelFormatException if a field is missing, mis-sized for {@code dim}, or not finite
     */
    public static LatentGaussian fromJson(JsonObject o, int dim, String what) throws ModelFormatException {
        try {
            JsonArray m = o.getAsJsonArray("mean");
            JsonArray p = o.getAsJsonArray("precision");
            if (m == null || p == null || m.size() != dim || p.size() != dim) {
                throw new ModelFormatException(what + ": expected mean and precision for " + dim + " dimensions");
            }
            double[] mean = new double[dim];
            double[] precision = new double[dim * dim];
            for (int a = 0; a < dim; a++) {
                mean[a] = finite(m.get(a), what);
                JsonArray row = p.get(a).getAsJsonArray();
                if (row.size() != dim) {
                    throw new ModelFormatException(what + ": precision row " + a + " has " + row.size() + " values, expected " + dim);
                }
                for (int b = 0; b < dim; b++) {
                    precision[a * dim + b] = finite(row.get(b), what);
                }
            }
            int frames = o.has("frames") ? o.get("frames").getAsInt() : 0;
            return new LatentGaussian(mean, precision, frames);
        } catch (ClassCastException | IllegalStateException | NumberFormatException | UnsupportedOperationException e) {
            throw new ModelFormatException(what + ": " + e.getMessage(), e);
        }
    }

    private static double finite(JsonElement e, String what) throws ModelFormatException {
        double v = e.getAsDouble();
        if (!Double.isFinite(v)) {
            throw new ModelFormatException(what + " holds a value that is not finite");
        }
        return v;
    }

    /** Inverse of a symmetric positive definite matrix by Cholesky decomposition. */
    static double[] invertSymmetric(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("latent covariance is not positive definite (dimension " + i + ")");
                    }
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        // L⁻¹ by forward substitution, then Σ⁻¹ = L⁻ᵀ L⁻¹
        double[] inv = new double[n * n];
        for (int col = 0; col < n; col++) {
            for (int i = col; i < n; i++) {
                double s = i == col ? 1 : 0;
                for (int k = col; k < i; k++) {
                    s -= l[i * n + k] * inv[k * n + col];
                }
                inv[i * n + col] = s / l[i * n + i];
            }
        }
        double[] out = new double[n * n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c <= r; c++) {
                double s = 0;
                for (int k = r; k < n; k++) {
                    s += inv[k * n + r] * inv[k * n + c];
                }
                out[r * n + c] = s;
                out[c * n + r] = s;
            }
        }
        return out;
    }
}

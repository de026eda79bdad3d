package io.latentwatch.scoring;

import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.SafeTensors;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The mean and spread of each pixel's anomaly-map value over normal frames, so that a standardised map
 * z = (e − mean) / spread shows what is unusual for that pixel: edges and textures that are always hard to
 * reconstruct do not look anomalous. Stored as {@code pixel-stats.safetensors} in the model directory (tensors
 * {@code mean} and {@code spread}, (H, W) float32, and {@code frames}).
 *
 * <p>Each pixel's mean is its own; the spread is the mean of the pixels' standard deviations, the same for every
 * pixel. Dividing by each pixel's own spread was measured and hides small defects: a pixel that hardly ever varies
 * (belt the part rarely covers) then turns an ordinary error into a huge z, and the map's peak is that pixel rather
 * than the defect (synthetic camera, latent 128, σ 2: scratch image AUROC 0.81 with per-pixel spreads floored at a
 * tenth of the mean, 0.89 with the shared spread; docs/training.md). The file keeps a spread per pixel, so a model
 * may carry other spreads. Immutable.
 */
public final class PixelStatistics {

    private final int size;
    private final float[] mean;
    private final float[] spread;
    private final long frames;

    private PixelStatistics(int size, float[] mean, float[] spread, long frames) {
        this.size = size;
        this.mean = mean;
        this.spread = spread;
        this.frames = frames;
    }

    /** Accumulates raw maps of normal frames, then {@link #build()}s the statistics. Not thread-safe. */
    public static final class Accumulator {
        private final int size;
        private final double[] sum;
        private final double[] sumSquares;
        private long frames;

        public Accumulator(int size) {
            this.size = size;
            this.sum = new double[size * size];
            this.sumSquares = new double[size * size];
        }

        /** Adds one raw map of size × size values. */
        public void add(float[] map) {
            if (map.length != sum.length) {
                throw new IllegalArgumentException("expected a map of " + sum.length + " values, got " + map.length);
            }
            for (int i = 0; i < map.length; i++) {
                double v = map[i];
                sum[i] += v;
                sumSquares[i] += v * v;
            }
            frames++;
        }

        public long frames() {
            return frames;
        }

        /** @throws IllegalStateException with fewer than 2 maps, or a non-finite value */
        public PixelStatistics build() {
            if (frames < 2) {
                throw new IllegalStateException("pixel statistics need at least 2 normal frames, got " + frames);
            }
            int n = sum.length;
            float[] mean = new float[n];
            double[] std = new double[n];
            double meanStd = 0;
            for (int i = 0; i < n; i++) {
                double m = sum[i] / frames;
                double var = Math.max(0, sumSquares[i] / frames - m * m);
                mean[i] = (float) m;
                std[i] = Math.sqrt(var);
                meanStd += std[i];
                if (!Double.isFinite(m) || !Double.isFinite(var)) {
                    throw new IllegalStateException("pixel statistics are not finite at pixel " + i);
                }
            }
            meanStd /= n;
            float[] spread = new float[n];
            java.util.Arrays.fill(spread, (float) Math.max(meanStd, 1e-12));
            return new PixelStatistics(size, mean, spread, frames);
        }
    }

    /** The map's side in pixels (the model's image size). */
    public int size() {
        return size;
    }

    /** Per-pixel mean, row-major (a copy). */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-pixel spread, row-major, all positive (a copy). */
    public float[] spread() {
        return spread.clone();
    }

    public long frames() {
        return frames;
    }

    /** Standardises a raw map in place. */
    public void standardise(float[] map) {
        for (int i = 0; i < map.length; i++) {
            map[i] = (map[i] - mean[i]) / spread[i];
        }
    }

    /** The safetensors file's bytes. */
    public byte[] toSafeTensors() {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("mean", SafeTensors.Tensor.f32(new long[] {size, size}, mean));
        t.put("spread", SafeTensors.Tensor.f32(new long[] {size, size}, spread));
        t.put("frames", SafeTensors.Tensor.i64Scalar(frames));
        return SafeTensors.write(t);
    }

    /**
     * Reads the tensors of {@link #toSafeTensors()}.
     *
     * @param size the model's image size
     * @throws ModelFormatException if a tensor is missing, mis-shaped, not finite, or a spread is not positive
     */
    public static PixelStatistics fromTensors(Map<String, SafeTensors.Tensor> tensors, int size) throws ModelFormatException {
        float[] mean = plane(tensors, "mean", size);
        float[] spread = plane(tensors, "spread", size);
        for (int i = 0; i < spread.length; i++) {
            if (!Float.isFinite(mean[i]) || !(spread[i] > 0) || !Float.isFinite(spread[i])) {
                throw new ModelFormatException("pixel-stats.safetensors: pixel " + i + " has mean " + mean[i] + " and spread " + spread[i]
                        + " (a finite mean and a positive spread expected)");
            }
        }
        SafeTensors.Tensor f = tensors.get("frames");
        return new PixelStatistics(size, mean, spread, f == null ? 0 : f.longScalar());
    }

    private static float[] plane(Map<String, SafeTensors.Tensor> tensors, String name, int size) throws ModelFormatException {
        SafeTensors.Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException("pixel-stats.safetensors: missing tensor \"" + name + "\"");
        }
        if (!"F32".equals(t.dtype) || t.shape.length != 2 || t.shape[0] != size || t.shape[1] != size) {
            throw new ModelFormatException("pixel-stats.safetensors: \"" + name + "\" is " + t.dtype + " " + t.shapeString() + ", expected F32 ["
                    + size + ", " + size + "] for the model's image size");
        }
        return t.floats();
    }
}

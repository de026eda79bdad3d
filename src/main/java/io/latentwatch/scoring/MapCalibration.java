package io.latentwatch.scoring;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.ReconstructionMap;

/**
 * What a model's anomaly maps need besides the network: how the per-pixel error is measured
 * ({@link ReconstructionMap}), the normal frames' {@link PixelStatistics} that standardise it, the share of pixels
 * whose mean makes the top-k score, and the threshold a standardised pixel must exceed to belong to a region.
 * model.json's {@code calibration.map}: {@code {kind, sigma, top_k, threshold, frames, pixel_stats_sha256}}. Immutable.
 *
 * @param stats null until fitted (the maps are then raw errors)
 * @param threshold NaN until calibrated (no regions)
 */
public record MapCalibration(ReconstructionMap map, double topK, PixelStatistics stats, double threshold) {

    /** The default share of a map's pixels whose mean is the {@code map-topk} score. */
    public static final double DEFAULT_TOP_K = 0.01;
    /**
     * The default smoothing, in pixels of the model's input (measured on the 64 × 64 camera: σ 1, 2, 3, 4 gave pixel
     * AUROC 0.966, 0.981, 0.987, 0.989 and scratch image AUROC 0.87, 0.89, 0.89, 0.88; docs/training.md).
     */
    public static final double DEFAULT_SIGMA = 3.0;

    public MapCalibration {
        if (!(topK > 0 && topK <= 1)) {
            throw new IllegalArgumentException("the top-k share of a map must be in (0, 1], got " + topK);
        }
    }

    /** Uncalibrated maps of a kind: raw errors, no region threshold. */
    public static MapCalibration uncalibrated(ReconstructionMap map, double topK) {
        return new MapCalibration(map, topK, null, Double.NaN);
    }

    /** The same with fitted statistics. */
    public MapCalibration withStats(PixelStatistics fitted) {
        return new MapCalibration(map, topK, fitted, threshold);
    }

    /** The same with a region threshold. */
    public MapCalibration withThreshold(double regionThreshold) {
        return new MapCalibration(map, topK, stats, regionThreshold);
    }

    /** The pixels whose mean is the top-k score, for a map of side {@code size}: at least 1. */
    public int topKPixels(int size) {
        return Math.max(1, (int) Math.round(topK * size * size));
    }

    /** model.json's calibration.map (the pixel statistics' sha256 is added when the directory is written). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", map.kind().label());
        o.addProperty("sigma", map.sigma());
        o.addProperty("top_k", topK);
        if (Double.isFinite(threshold)) {
            o.addProperty("threshold", threshold);
        }
        if (stats != null) {
            o.addProperty("frames", stats.frames());
        }
        return o;
    }

    /**
     * Reads calibration.map.
     *
     * @param stats the model directory's pixel statistics (null: raw maps)
     * @throws ModelFormatException for an unknown kind or a malformed value
     */
    public static MapCalibration fromJson(JsonObject o, PixelStatistics stats) throws ModelFormatException {
        try {
            ReconstructionMap map = new ReconstructionMap(ReconstructionMap.Kind.fromLabel(o.get("kind").getAsString()), o.get("sigma").getAsDouble());
            double topK = o.has("top_k") ? o.get("top_k").getAsDouble() : DEFAULT_TOP_K;
            JsonElement t = o.get("threshold");
            double threshold = t == null || t.isJsonNull() ? Double.NaN : t.getAsDouble();
            return new MapCalibration(map, topK, stats, threshold);
        } catch (RuntimeException e) {
            throw new ModelFormatException("model.json: calibration.map: " + e.getMessage(), e);
        }
    }
}

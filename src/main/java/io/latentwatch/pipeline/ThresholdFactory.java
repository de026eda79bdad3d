package io.latentwatch.pipeline;

import com.google.gson.JsonElement;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.operators.ThresholdFunction;
import org.apache.flink.configuration.Configuration;

/** The threshold step of the {@code latentwatch.threshold.*} options: fixed at the base threshold, or adaptive per source. */
final class ThresholdFactory {

    private ThresholdFactory() {}

    /**
     * The threshold function.
     *
     * @param base the threshold every source starts from (NaN: none, adaptive warm-up only)
     * @throws IllegalArgumentException naming {@code latentwatch.threshold.*} and the adaptation setting's rule
     */
    static ThresholdFunction of(Configuration o, double base, ModelMetadata model) {
        if (!o.get(ScoringJobOptions.ADAPTIVE_THRESHOLD)) {
            return ThresholdFunction.fixed(base);
        }
        double quantile = o.getOptional(ScoringJobOptions.ADAPTATION_QUANTILE).orElseGet(() -> calibrationQuantile(model));
        try {
            return ThresholdFunction.adaptive(base, o.get(ScoringJobOptions.WARM_UP_FRAMES), o.get(ScoringJobOptions.ADAPTATION_WINDOW),
                    quantile, o.get(ScoringJobOptions.MAX_ADAPTATION), o.get(ScoringJobOptions.SOURCE_STATE_TTL));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("latentwatch.threshold.*: " + e.getMessage(), e);
        }
    }

    /** The model's calibration quantile, or 0.99. */
    private static double calibrationQuantile(ModelMetadata model) {
        JsonElement q = model.calibration().get("quantile");
        return q == null || q.isJsonNull() ? 0.99 : q.getAsDouble();
    }
}

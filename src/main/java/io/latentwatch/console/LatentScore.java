package io.latentwatch.console;

import com.google.gson.JsonObject;

/**
 * What the score traces need of a latents record ({@code JsonRecords.latents}): whose frame, when, which model, its
 * score against the threshold it was judged by.
 *
 * @param score null for a non-finite score
 * @param threshold null where the source had none yet
 */
public record LatentScore(String source, String frameId, long capturedAt, long modelVersion, Double score, Double threshold, boolean anomaly) {

    /**
     * Parses a latents value (mu and log_var are not read).
     *
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    public static LatentScore fromJson(String json) {
        JsonObject o = RecordFields.object(json);
        return new LatentScore(RecordFields.string(o, "source"), RecordFields.string(o, "frame_id"), RecordFields.longValue(o, "captured_at"),
                RecordFields.longValue(o, "model_version"), RecordFields.doubleOrNull(o, "score"), RecordFields.doubleOrNull(o, "threshold"),
                RecordFields.bool(o, "anomaly"));
    }
}

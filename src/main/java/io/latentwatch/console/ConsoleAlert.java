package io.latentwatch.console;

import com.google.gson.JsonObject;
import java.util.Base64;

/**
 * One record of the alerts topic, as the job writes it ({@code JsonRecords.alert}): times in epoch ms, region
 * {x, y, w, h} and peak {x, y} in the frame's own pixels or null, the anomaly map's PNG decoded (or null).
 *
 * @param score null for a non-finite score (severity {@code invalid})
 * @param threshold null where the source had none yet
 */
public record ConsoleAlert(
        String source,
        String frameId,
        long capturedAt,
        long detectedAt,
        long modelVersion,
        Double score,
        Double threshold,
        String severity,
        Double mse,
        int[] region,
        int[] peak,
        byte[] mapPng) {

    /**
     * Parses an alerts value.
     *
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    public static ConsoleAlert fromJson(String json) {
        JsonObject o = RecordFields.object(json);
        String png = RecordFields.stringOrNull(o, "anomaly_map_png");
        byte[] map;
        try {
            map = png == null || png.isEmpty() ? null : Base64.getDecoder().decode(png);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"anomaly_map_png\" is not base64", e);
        }
        return new ConsoleAlert(RecordFields.string(o, "source"), RecordFields.string(o, "frame_id"), RecordFields.longValue(o, "captured_at"),
                RecordFields.longValue(o, "detected_at"), RecordFields.longValue(o, "model_version"), RecordFields.doubleOrNull(o, "score"),
                RecordFields.doubleOrNull(o, "threshold"), RecordFields.string(o, "severity"), RecordFields.doubleOrNull(o, "mse"),
                RecordFields.intsOrNull(o, "region", 4), RecordFields.intsOrNull(o, "peak", 2), map);
    }
}

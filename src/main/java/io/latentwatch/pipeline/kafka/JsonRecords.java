package io.latentwatch.pipeline.kafka;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.time.Instant;

/**
 * The JSON values of the latents and alerts topics (DESIGN.md, "Kafka topics and wire formats"). Times are epoch
 * milliseconds; a threshold a source does not have yet is null; floats are written in their shortest form.
 *
 * <p>The text is what gson's JsonWriter wrote (compact, a non-finite number as null, floats as {@link
 * Float#toString(float)}), byte for byte, from a writer without gson's per-value costs ({@link JsonText}): these
 * records are the job's output, and consumers parse them.
 */
public final class JsonRecords {

    private JsonRecords() {}

    /**
     * A latents record: source, frame_id, captured_at, model_version, mse, kl, score, threshold, anomaly, region,
     * peak, mu[], log_var[]; region [x, y, w, h] and peak [x, y] in the frame's own pixels, or null.
     */
    public static String latents(ScoredFrame f) {
        return JsonText.forThisThread()
                .beginObject()
                .name("source").value(f.source)
                .name("frame_id").value(f.frameId)
                .name("captured_at").value(f.capturedAt)
                .name("model_version").value(f.modelVersion)
                .name("mse").finiteOrNull(f.mse)
                .name("kl").finiteOrNull(f.kl)
                .name("score").finiteOrNull(f.score)
                .name("threshold").finiteOrNull(f.threshold)
                .name("anomaly").value(f.anomaly)
                .name("region").ints(f.region)
                .name("peak").ints(f.peak)
                .name("mu").floats(f.mu)
                .name("log_var").floats(f.logVar)
                .endObject()
                .toString();
    }

    /**
     * An alerts record: source, frame_id, captured_at, detected_at, model_version, score, threshold, severity, mse,
     * region, peak, anomaly_map_png (base64 PNG, or null).
     */
    public static String alert(Alert a) {
        return JsonText.forThisThread()
                .beginObject()
                .name("source").value(a.source)
                .name("frame_id").value(a.frameId)
                .name("captured_at").value(a.capturedAt)
                .name("detected_at").value(a.detectedAt)
                .name("model_version").value(a.modelVersion)
                .name("score").finiteOrNull(a.score)
                .name("threshold").finiteOrNull(a.threshold)
                .name("severity").value(a.severity.label())
                .name("mse").finiteOrNull(a.mse)
                .name("region").ints(a.region)
                .name("peak").ints(a.peak)
                .name("anomaly_map_png").base64(a.anomalyMapPng)
                .endObject()
                .toString();
    }

    /** An ISO-8601 form of an epoch-ms time, for people reading the CLI's output. */
    public static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }
}

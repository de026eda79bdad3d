package io.latentwatch.pipeline.kafka;

import com.google.gson.stream.JsonWriter;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The JSON values of the latents and alerts topics (DESIGN.md, "Kafka topics and wire formats"). Times are epoch
 * milliseconds; a threshold a source does not have yet is null; floats are written in their shortest form.
 */
public final class JsonRecords {

    private JsonRecords() {}

    /**
     * A latents record: source, frame_id, captured_at, model_version, mse, kl, score, threshold, anomaly, mu[],
     * log_var[].
     */
    public static String latents(ScoredFrame f) {
        StringWriter s = new StringWriter(64 + 24 * (f.mu.length + f.logVar.length));
        try (JsonWriter w = new JsonWriter(s)) {
            w.beginObject();
            w.name("source").value(f.source);
            w.name("frame_id").value(f.frameId);
            w.name("captured_at").value(f.capturedAt);
            w.name("model_version").value(f.modelVersion);
            w.name("mse").value(finiteOrNull(f.mse));
            w.name("kl").value(finiteOrNull(f.kl));
            w.name("score").value(finiteOrNull(f.score));
            w.name("threshold").value(finiteOrNull(f.threshold));
            w.name("anomaly").value(f.anomaly);
            floats(w.name("mu"), f.mu);
            floats(w.name("log_var"), f.logVar);
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /**
     * An alerts record: source, frame_id, captured_at, detected_at, model_version, score, threshold, severity, mse.
     */
    public static String alert(Alert a) {
        StringWriter s = new StringWriter(256);
        try (JsonWriter w = new JsonWriter(s)) {
            w.beginObject();
            w.name("source").value(a.source);
            w.name("frame_id").value(a.frameId);
            w.name("captured_at").value(a.capturedAt);
            w.name("detected_at").value(a.detectedAt);
            w.name("model_version").value(a.modelVersion);
            w.name("score").value(finiteOrNull(a.score));
            w.name("threshold").value(finiteOrNull(a.threshold));
            w.name("severity").value(a.severity.label());
            w.name("mse").value(finiteOrNull(a.mse));
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /** An ISO-8601 form of an epoch-ms time, for people reading the CLI's output. */
    public static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static void floats(JsonWriter w, float[] values) throws IOException {
        w.beginArray();
        for (float v : values) {
            if (Float.isFinite(v)) {
                w.value(Float.valueOf(v)); // Float.toString: the shortest decimal that reads back as the same float
            } else {
                w.nullValue();
            }
        }
        w.endArray();
    }
}

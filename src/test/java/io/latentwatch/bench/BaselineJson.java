package io.latentwatch.bench;

import com.google.gson.stream.JsonWriter;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * JsonRecords.latents as it was before the cuts of the job's own costs (gson's JsonWriter over a StringWriter, each
 * float boxed and written through Float.toString), for {@link JobCostBenchmark} and for the tests that check the
 * new writer gives the same text byte for byte. The fields added since (region, peak, anomaly_map_png) are written
 * the same way, so that the text stays comparable.
 */
public final class BaselineJson {

    private BaselineJson() {}

    /** The latents record's text, as gson wrote it. */
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
            ints(w.name("region"), f.region);
            ints(w.name("peak"), f.peak);
            floats(w.name("mu"), f.mu);
            floats(w.name("log_var"), f.logVar);
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /** The alerts record's text, as gson wrote it. */
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
            ints(w.name("region"), a.region);
            ints(w.name("peak"), a.peak);
            w.name("anomaly_map_png").value(a.anomalyMapPng == null ? null : Base64.getEncoder().encodeToString(a.anomalyMapPng));
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static void ints(JsonWriter w, int[] values) throws IOException {
        if (values == null) {
            w.nullValue();
            return;
        }
        w.beginArray();
        for (int v : values) {
            w.value(v);
        }
        w.endArray();
    }

    private static void floats(JsonWriter w, float[] values) throws IOException {
        w.beginArray();
        for (float v : values) {
            if (Float.isFinite(v)) {
                w.value(Float.valueOf(v));
            } else {
                w.nullValue();
            }
        }
        w.endArray();
    }
}

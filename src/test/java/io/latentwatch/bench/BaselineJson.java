package io.latentwatch.bench;

import com.google.gson.stream.JsonWriter;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * JsonRecords.latents as it was before the cuts of the job's own costs (gson's JsonWriter over a StringWriter, each
 * float boxed and written through Float.toString), for {@link JobCostBenchmark} and for the tests that check the
 * new writer gives the same text byte for byte.
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
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
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

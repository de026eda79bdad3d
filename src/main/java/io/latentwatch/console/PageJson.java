package io.latentwatch.console;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.latentwatch.registry.ModelUpdate;
import java.util.List;
import java.util.Map;

/**
 * The JSON that the page reads: the records' own field names (DESIGN.md), the pictures left out (the page fetches
 * them from {@code /frames/ID} and {@code /maps/ID}) and said to be there or not.
 */
final class PageJson {

    private PageJson() {}

    static JsonObject alert(ConsoleAlert a, boolean hasFrame) {
        JsonObject o = new JsonObject();
        o.addProperty("source", a.source());
        o.addProperty("frame_id", a.frameId());
        o.addProperty("captured_at", a.capturedAt());
        o.addProperty("detected_at", a.detectedAt());
        o.addProperty("model_version", a.modelVersion());
        o.add("score", number(a.score()));
        o.add("threshold", number(a.threshold()));
        o.addProperty("severity", a.severity());
        o.add("mse", number(a.mse()));
        o.add("region", ints(a.region()));
        o.add("peak", ints(a.peak()));
        o.addProperty("has_map", a.mapPng() != null);
        o.addProperty("has_frame", hasFrame);
        return o;
    }

    static JsonObject frame(String frameId) {
        JsonObject o = new JsonObject();
        o.addProperty("frame_id", frameId);
        return o;
    }

    static JsonObject score(String source, ScoreTraces.Point p) {
        JsonObject o = point(p);
        o.addProperty("source", source);
        return o;
    }

    static JsonObject modelUpdate(ModelUpdate u) {
        JsonObject o = new JsonObject();
        o.add("version", u.version() == null ? JsonNull.INSTANCE : new JsonPrimitive(u.version()));
        o.add("parent_version", u.parentVersion() == null ? JsonNull.INSTANCE : new JsonPrimitive(u.parentVersion()));
        o.addProperty("accepted", u.accepted());
        o.addProperty("reason", u.reason());
        o.add("val_loss_before", number(u.valLossBefore()));
        o.add("val_loss_after", number(u.valLossAfter()));
        o.addProperty("sha256", u.sha256());
        o.addProperty("created_at", u.createdAt().toString());
        return o;
    }

    /** Everything the page shows, for a page that has just connected. */
    static JsonObject snapshot(List<JsonObject> alerts, int maxAlerts, Map<String, List<ScoreTraces.Point>> traces, long windowMillis,
            List<ModelUpdate> updates, Map<String, Long> unreadable) {
        JsonObject o = new JsonObject();
        o.addProperty("max_alerts", maxAlerts);
        JsonArray a = new JsonArray();
        alerts.forEach(a::add);
        o.add("alerts", a);
        JsonObject t = new JsonObject();
        traces.forEach((source, points) -> {
            JsonArray ps = new JsonArray();
            points.forEach(p -> ps.add(point(p)));
            t.add(source, ps);
        });
        o.add("traces", t);
        o.addProperty("trace_window_ms", windowMillis);
        JsonArray m = new JsonArray();
        updates.forEach(u -> m.add(modelUpdate(u)));
        o.add("model_updates", m);
        JsonObject u = new JsonObject();
        unreadable.forEach(u::addProperty);
        o.add("unreadable", u);
        return o;
    }

    private static JsonObject point(ScoreTraces.Point p) {
        JsonObject o = new JsonObject();
        o.addProperty("bucket", p.bucket());
        o.addProperty("captured_at", p.capturedAt());
        o.add("score", number(p.score()));
        o.add("threshold", number(p.threshold()));
        o.addProperty("anomaly", p.anomaly());
        o.addProperty("model_version", p.modelVersion());
        return o;
    }

    private static JsonElement number(Double v) {
        return v == null || !Double.isFinite(v) ? JsonNull.INSTANCE : new JsonPrimitive(v);
    }

    private static JsonElement ints(int[] values) {
        if (values == null) {
            return JsonNull.INSTANCE;
        }
        JsonArray a = new JsonArray();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }
}

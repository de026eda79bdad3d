package io.latentwatch.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.pipeline.kafka.JsonRecords;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The console's state fed with records exactly as the job writes them ({@link JsonRecords}, {@link ModelUpdate#toJson()}). */
class ConsoleStateTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3};

    private final List<ConsoleEvent> events = new ArrayList<>();
    private final Predicate<ConsoleEvent> listener = e -> events.add(e);

    private static ConsoleState state(int alerts, Duration window, int points) {
        return new ConsoleState(new RecentAlerts(alerts), new FrameCache(100, 1 << 20), new ScoreTraces(window, points, 8), new ModelTimeline(50));
    }

    private static ScoredFrame scored(String source, String frameId, long capturedAt, double score, double threshold, boolean anomaly) {
        ScoredFrame f = new ScoredFrame();
        f.source = source;
        f.frameId = frameId;
        f.capturedAt = capturedAt;
        f.scoredAt = capturedAt + 20;
        f.modelVersion = 1;
        f.mse = score;
        f.kl = 1.5;
        f.score = score;
        f.threshold = threshold;
        f.anomaly = anomaly;
        f.mu = new float[] {0.1f, -0.2f};
        f.logVar = new float[] {-1f, -2f};
        if (anomaly) {
            f.region = new int[] {3, 4, 5, 6};
            f.peak = new int[] {5, 6};
        }
        return f;
    }

    private static String alert(String frameId, long capturedAt, double score) {
        ScoredFrame f = scored("cam-0", frameId, capturedAt, score, 0.01, true);
        f.anomalyMapPng = PNG;
        return JsonRecords.alert(Alert.of(f, capturedAt + 40));
    }

    private static String latents(String source, String frameId, long capturedAt, double score) {
        return JsonRecords.latents(scored(source, frameId, capturedAt, score, 0.01, score > 0.01));
    }

    private List<String> names() {
        return events.stream().map(ConsoleEvent::name).collect(Collectors.toList());
    }

    private static JsonObject data(ConsoleEvent e) {
        return JsonParser.parseString(e.data()).getAsJsonObject();
    }

    @Test
    void anAlertReadTwiceIsShownOnce() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        s.subscribe(listener);
        String a = alert("f-1", T0, 0.05);
        s.onAlert(a);
        s.onAlert(a);
        s.onAlert(alert("f-1", T0, 0.07)); // the same frame judged again after a restart
        assertEquals(List.of(ConsoleEvent.ALERT), names());
        JsonObject shown = data(events.get(0));
        assertEquals("f-1", shown.get("frame_id").getAsString());
        assertEquals("high", shown.get("severity").getAsString());
        assertEquals(0.05, shown.get("score").getAsDouble(), 1e-12);
        assertEquals(4, shown.get("region").getAsJsonArray().size());
        assertTrue(shown.get("has_map").getAsBoolean());
        assertFalse(shown.get("has_frame").getAsBoolean());
        assertEquals(1, snapshotAlerts(s).size());
    }

    @Test
    void onlyTheNewestAlertsAreKeptAndAnEvictedOneReadAgainStaysOut() {
        ConsoleState s = state(3, Duration.ofMinutes(5), 100);
        for (int i = 0; i < 5; i++) {
            s.onAlert(alert("f-" + i, T0 + i, 0.05));
        }
        assertEquals(List.of("f-2", "f-3", "f-4"), frameIds(snapshotAlerts(s)));
        s.onAlert(alert("f-0", T0, 0.05));
        assertEquals(List.of("f-2", "f-3", "f-4"), frameIds(snapshotAlerts(s)));
        assertNull(s.mapPicture("f-0"), "an evicted alert's map goes with it");
        assertArrayEquals(PNG, s.mapPicture("f-4"), "the map as the job encoded it");
    }

    @Test
    void anAlertGetsItsFramesPictureBeforeOrAfterIt() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        byte[] before = {1, 2, 3};
        byte[] after = {4, 5, 6};
        s.onFrame("f-1", before);
        s.subscribe(listener);
        s.onAlert(alert("f-1", T0, 0.05));
        assertTrue(data(events.get(0)).get("has_frame").getAsBoolean());
        s.onAlert(alert("f-2", T0, 0.05));
        s.onFrame("f-2", after);
        s.onFrame("f-3", new byte[] {7}); // no alert waits for it: no event
        assertEquals(List.of(ConsoleEvent.ALERT, ConsoleEvent.ALERT, ConsoleEvent.FRAME), names());
        assertEquals("f-2", data(events.get(2)).get("frame_id").getAsString());
        assertArrayEquals(before, s.framePicture("f-1"));
        assertArrayEquals(after, s.framePicture("f-2"));
        assertArrayEquals(new byte[] {7}, s.framePicture("f-3"));
        assertNull(s.framePicture("f-9"));
    }

    @Test
    void anAlertsPictureOutlivesTheRecentFrames() {
        ConsoleState s = new ConsoleState(new RecentAlerts(10), new FrameCache(2, 1 << 20), new ScoreTraces(Duration.ofMinutes(1), 10, 1),
                new ModelTimeline(5));
        s.onFrame("f-0", new byte[] {9});
        s.onAlert(alert("f-0", T0, 0.05));
        for (int i = 1; i <= 5; i++) {
            s.onFrame("f-" + i, new byte[] {(byte) i});
        }
        assertArrayEquals(new byte[] {9}, s.framePicture("f-0"), "kept with its alert");
        assertNull(s.framePicture("f-1"), "evicted from the recent frames");
    }

    @Test
    void aNonFiniteScoreIsAnInvalidAlertWithoutANumber() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        s.subscribe(listener);
        ScoredFrame f = scored("cam-1", "f-nan", T0, Double.NaN, 0.01, true);
        Alert a = Alert.of(f, T0 + 5);
        assertEquals(Severity.INVALID, a.severity);
        s.onAlert(JsonRecords.alert(a));
        JsonObject shown = data(events.get(0));
        assertTrue(shown.get("score").isJsonNull());
        assertEquals("invalid", shown.get("severity").getAsString());
        assertFalse(shown.get("has_map").getAsBoolean());
    }

    @Test
    void aTraceKeepsTheWindowBeforeItsNewestFrame() {
        ConsoleState s = state(10, Duration.ofSeconds(10), 1000);
        for (int i = 0; i <= 30; i++) {
            s.onLatents(latents("cam-0", "f-" + i, T0 + i * 1000L, 0.001 * i));
        }
        s.onLatents(latents("cam-1", "g-0", T0, 0.5)); // another source: its own window
        JsonArray cam0 = snapshot(s).getAsJsonObject("traces").getAsJsonArray("cam-0");
        long first = cam0.get(0).getAsJsonObject().get("captured_at").getAsLong();
        long last = cam0.get(cam0.size() - 1).getAsJsonObject().get("captured_at").getAsLong();
        assertEquals(T0 + 30_000, last);
        assertTrue(last - first < 10_000 && last - first >= 9_000, "window of 10 s: " + (last - first));
        assertEquals(1, snapshot(s).getAsJsonObject("traces").getAsJsonArray("cam-1").size());
        // a record older than the window, read late, is not drawn
        s.subscribe(listener);
        s.onLatents(latents("cam-0", "f-old", T0, 0.9));
        assertEquals(List.of(), names());
    }

    @Test
    void aFastSourceIsDownsampledAndKeepsItsPeaks() {
        ConsoleState s = state(10, Duration.ofSeconds(10), 20); // buckets of 500 ms
        for (int i = 0; i < 400; i++) {
            double score = i == 137 ? 0.9 : 0.001;
            s.onLatents(latents("cam-0", "f-" + i, T0 + i * 25L, score)); // 40 frames/s
        }
        JsonArray trace = snapshot(s).getAsJsonObject("traces").getAsJsonArray("cam-0");
        assertTrue(trace.size() <= 20, "at most 20 points: " + trace.size());
        assertTrue(trace.size() >= 19, "every bucket has its point: " + trace.size());
        double max = 0;
        for (var p : trace) {
            max = Math.max(max, p.getAsJsonObject().get("score").getAsDouble());
        }
        assertEquals(0.9, max, 1e-12, "the spike survives the downsampling");
    }

    @Test
    void theModelTimelineKeepsEveryDecisionOnceInOrder() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        Instant at = Instant.ofEpochMilli(T0);
        ModelUpdate initial = new ModelUpdate(1L, null, "/r/v000001", "a".repeat(64), true, "initial model", null, null, at);
        ModelUpdate v2 = new ModelUpdate(2L, 1L, "/r/v000002", "b".repeat(64), true, "eval_mse 0.0110 <= 0.0120 x 1.0", 0.012, 0.011,
                at.plusSeconds(30));
        ModelUpdate refused = ModelUpdate.rejected(2L, "regressed beyond the tolerance", 0.011, 0.02, at.plusSeconds(60));
        s.subscribe(listener);
        for (ModelUpdate u : List.of(initial, v2, v2, refused)) {
            s.onModelUpdate(u.toJson());
        }
        s.onModelUpdate("definitely not JSON {");
        s.onModelUpdate("{\"version\": 5}");
        assertEquals(3, events.size());
        JsonArray timeline = snapshot(s).getAsJsonArray("model_updates");
        assertEquals(3, timeline.size());
        JsonObject second = timeline.get(1).getAsJsonObject();
        assertEquals(2, second.get("version").getAsLong());
        assertEquals(1, second.get("parent_version").getAsLong());
        assertEquals(0.012, second.get("val_loss_before").getAsDouble(), 1e-12);
        assertEquals(0.011, second.get("val_loss_after").getAsDouble(), 1e-12);
        JsonObject third = timeline.get(2).getAsJsonObject();
        assertFalse(third.get("accepted").getAsBoolean());
        assertTrue(third.get("version").isJsonNull());
        assertEquals("regressed beyond the tolerance", third.get("reason").getAsString());
        assertEquals(2, s.unreadable(ConsoleState.MODEL_UPDATES));
        assertEquals(2, snapshot(s).getAsJsonObject("unreadable").get("model-updates").getAsLong());
    }

    @Test
    void unreadableRecordsAreCountedAndSkipped() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        s.onAlert("{\"source\": \"cam-0\"}");
        s.onAlert("\u0000avro binary");
        s.onLatents("[1, 2]");
        assertEquals(2, s.unreadable(ConsoleState.ALERTS));
        assertEquals(1, s.unreadable(ConsoleState.LATENTS));
        assertEquals(0, snapshotAlerts(s).size());
    }

    @Test
    void aSubscriberGetsTheSnapshotThenOnlyWhatCameAfter() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        s.onAlert(alert("f-1", T0, 0.05));
        ConsoleEvent snapshot = s.subscribe(listener);
        assertEquals(ConsoleEvent.SNAPSHOT, snapshot.name());
        assertEquals(List.of("f-1"), frameIds(data(snapshot).getAsJsonArray("alerts")));
        s.onAlert(alert("f-2", T0 + 1, 0.05));
        s.onLatents(latents("cam-0", "f-2", T0 + 1, 0.05));
        assertEquals(List.of(ConsoleEvent.ALERT, ConsoleEvent.SCORE), names());
        assertEquals("cam-0", data(events.get(1)).get("source").getAsString());
        s.unsubscribe(listener);
        s.onAlert(alert("f-3", T0 + 2, 0.05));
        assertEquals(2, events.size());
        assertEquals(0, s.subscribers());
    }

    @Test
    void aSubscriberThatCannotKeepUpIsDropped() {
        ConsoleState s = state(10, Duration.ofMinutes(5), 100);
        s.subscribe(e -> false);
        s.onAlert(alert("f-1", T0, 0.05));
        assertEquals(0, s.subscribers());
    }

    @Test
    void theRecentFramesAreBoundedInCountAndBytes() {
        FrameCache cache = new FrameCache(3, 10);
        cache.put("a", new byte[4]);
        cache.put("b", new byte[4]);
        cache.put("c", new byte[4]); // 12 bytes: a goes
        assertNull(cache.get("a"));
        assertEquals(2, cache.size());
        assertEquals(8, cache.bytes());
        cache.put("huge", new byte[11]);
        assertNull(cache.get("huge"), "larger than the whole budget: not kept");
        cache.put("d", new byte[1]);
        cache.put("e", new byte[1]);
        assertNull(cache.get("b"), "a fourth frame: the oldest goes");
        assertTrue(cache.get("c") != null && cache.get("d") != null && cache.get("e") != null);
        assertEquals(3, cache.size());
    }

    private static JsonObject snapshot(ConsoleState s) {
        return data(s.snapshot());
    }

    private static JsonArray snapshotAlerts(ConsoleState s) {
        return snapshot(s).getAsJsonArray("alerts");
    }

    private static List<String> frameIds(JsonArray alerts) {
        List<String> ids = new ArrayList<>();
        alerts.forEach(a -> ids.add(a.getAsJsonObject().get("frame_id").getAsString()));
        return ids;
    }
}

package io.latentwatch.pipeline.operators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.Severity;
import io.latentwatch.scoring.SourceThreshold;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Per-source thresholds: fixed, adapted after a warm-up, bounded, and alerts with a severity. */
class ThresholdFunctionTest {

    private static ScoredFrame scored(String source, int i, double score) {
        return ScoredFrame.of(source, source + "-" + i, i, i, 3, new FrameScore(score, 0.1, score, new float[] {0}, new float[] {0}));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ScoredFrame, ScoredFrame> harness(ThresholdFunction f) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f), (ScoredFrame s) -> s.source, Types.STRING);
        h.open();
        return h;
    }

    @Test
    void aFixedThresholdJudgesEveryFrameAndAlertsWithASeverity() throws Exception {
        try (var h = harness(ThresholdFunction.fixed(0.02))) {
            h.processElement(scored("a", 0, 0.01), 0);
            h.processElement(scored("a", 1, 0.025), 0);
            h.processElement(scored("b", 2, 0.04), 0);
            h.processElement(scored("b", 3, 0.5), 0);
            List<ScoredFrame> judged = h.extractOutputValues();
            assertEquals(4, judged.size());
            assertEquals(List.of(false, true, true, true), judged.stream().map(f -> f.anomaly).toList());
            judged.forEach(f -> assertEquals(0.02, f.threshold));
            List<Alert> alerts = h.getSideOutput(ThresholdFunction.ALERTS).stream().map(r -> r.getValue()).toList();
            assertEquals(List.of(Severity.LOW, Severity.MEDIUM, Severity.HIGH), alerts.stream().map(a -> a.severity).toList());
            assertEquals(List.of("a-1", "b-2", "b-3"), alerts.stream().map(a -> a.frameId).toList());
            assertEquals(3, alerts.get(0).modelVersion);
        }
    }

    @Test
    void anAdaptiveThresholdFollowsEachSourceAfterItsWarmUp() throws Exception {
        // source "bright" has normal scores around 0.03 (above the base 0.02), "dark" around 0.01
        try (var h = harness(ThresholdFunction.adaptive(0.02, 50, 200, 0.99, 4, Duration.ofHours(1)))) {
            Random r = new Random(1);
            int i = 0;
            for (int k = 0; k < 49; k++) {
                h.processElement(scored("bright", i++, 0.03 * Math.exp(0.1 * r.nextGaussian())), 0);
            }
            // still warming up: the base threshold applies, and these normal-for-this-source frames are anomalies
            assertTrue(h.extractOutputValues().stream().allMatch(f -> f.threshold == 0.02));
            for (int k = 0; k < 100; k++) {
                h.processElement(scored("bright", i++, 0.02 * Math.exp(0.1 * r.nextGaussian())), 0);
                h.processElement(scored("dark", i++, 0.01 * Math.exp(0.1 * r.nextGaussian())), 0);
            }
            List<ScoredFrame> out = h.extractOutputValues();
            ScoredFrame lastDark = out.stream().filter(f -> f.source.equals("dark")).reduce((a, b) -> b).orElseThrow();
            assertTrue(lastDark.threshold > 0.01 && lastDark.threshold < 0.02, "dark adapted to " + lastDark.threshold);
            h.processElement(scored("dark", i++, 0.019), 0); // below the base, far above dark's own normal
            assertTrue(h.extractOutputValues().get(h.extractOutputValues().size() - 1).anomaly);
        }
    }

    @Test
    void adaptationStaysWithinItsBoundsAndWaitsWithoutABase() throws Exception {
        ThresholdFunction bounded = ThresholdFunction.adaptive(0.02, 5, 100, 0.99, 2, Duration.ofHours(1));
        SourceThreshold tiny = new SourceThreshold();
        for (int k = 0; k < 10; k++) {
            tiny.add(1e-6, 100);
        }
        assertEquals(0.01, bounded.threshold(tiny), 1e-12);

        try (var h = harness(ThresholdFunction.adaptive(Double.NaN, 20, 100, 0.99, 4, Duration.ofHours(1)))) {
            for (int k = 0; k < 20; k++) {
                h.processElement(scored("a", k, k == 3 ? 5.0 : 0.01), 0);
            }
            assertTrue(h.getSideOutput(ThresholdFunction.ALERTS) == null || h.getSideOutput(ThresholdFunction.ALERTS).isEmpty(),
                    "no alert before the warm-up ends without a base threshold");
            h.processElement(scored("a", 99, 5.0), 0);
            ScoredFrame last = h.extractOutputValues().get(20);
            assertTrue(last.anomaly && Double.isFinite(last.threshold), last.toString());
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertEquals("threshold must be finite and positive, got NaN",
                assertThrows(IllegalArgumentException.class, () -> ThresholdFunction.fixed(Double.NaN)).getMessage());
        assertEquals("quantile must be in (0.5, 1), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> ThresholdFunction.adaptive(1, 1, 1, 1.0, 2, Duration.ofHours(1))).getMessage());
        assertEquals("warm-up must be at least 1 frame, got 0",
                assertThrows(IllegalArgumentException.class, () -> ThresholdFunction.adaptive(1, 0, 1, 0.9, 2, Duration.ofHours(1))).getMessage());
    }

    @Test
    void inverseNormalMatchesKnownQuantiles() {
        assertEquals(2.326348, SourceThreshold.inverseNormal(0.99), 1e-6);
        assertEquals(1.644854, SourceThreshold.inverseNormal(0.95), 1e-6);
        assertEquals(0.0, SourceThreshold.inverseNormal(0.5), 1e-9);
        assertEquals(-3.090232, SourceThreshold.inverseNormal(0.001), 1e-6);
        assertFalse(Double.isNaN(SourceThreshold.inverseNormal(0.999999)));
    }

    private static ScoredFrame served(String source, int i, double score, long version, double modelThreshold, boolean sampled) {
        ScoredFrame f = ScoredFrame.of(source, source + "-" + i, i, i, version, new FrameScore(score, 0.1, score, new float[] {0}, new float[] {0}));
        f.modelThreshold = modelThreshold;
        f.pixels = sampled ? new float[] {i} : null;
        return f;
    }

    @Test
    void followingTheModelEachFrameIsJudgedAgainstItsVersionsThresholdAndOnlyNormalSampledFramesGoToTheSampler() throws Exception {
        try (var h = harness(ThresholdFunction.fixed(0.02).followingTheModel())) {
            h.processElement(served("a", 0, 0.03, 1, 0.05, true), 0); // under version 1's threshold: normal, sampled
            h.processElement(served("a", 1, 0.06, 1, 0.05, true), 0); // alerted: never sampled
            h.processElement(served("a", 2, 0.03, 2, 0.025, true), 0); // version 2 is stricter: alerted
            h.processElement(served("a", 3, 0.01, 2, 0.025, false), 0); // normal, not sampled by the scorer
            h.processElement(served("a", 4, 0.015, 2, Double.NaN, true), 0); // a model without threshold: the fixed one
            List<ScoredFrame> judged = h.extractOutputValues();
            assertEquals(List.of(0.05, 0.05, 0.025, 0.025, 0.02), judged.stream().map(f -> f.threshold).toList());
            assertEquals(List.of(false, true, true, false, false), judged.stream().map(f -> f.anomaly).toList());
            assertTrue(judged.stream().allMatch(f -> f.pixels == null), "pixels never go on to the latents");
            List<Float> sampled = h.getSideOutput(ThresholdFunction.NORMAL_SAMPLES).stream().map(r -> r.getValue()[0]).toList();
            assertEquals(List.of(0f, 4f), sampled);
        }
    }

    @Test
    void anAdaptedThresholdStartsAfreshWhenTheModelVersionChanges() throws Exception {
        try (var h = harness(ThresholdFunction.adaptive(0.02, 20, 100, 0.99, 10, Duration.ofHours(1)).followingTheModel())) {
            Random r = new Random(2);
            for (int i = 0; i < 40; i++) {
                h.processElement(served("a", i, 0.005 * Math.exp(0.05 * r.nextGaussian()), 1, 0.02, false), 0);
            }
            double adapted = h.extractOutputValues().get(39).threshold;
            assertTrue(adapted < 0.007, "adapted to version 1's scores, well under its base 0.02: " + adapted);
            h.processElement(served("a", 40, 0.01, 2, 0.03, false), 0);
            assertEquals(0.03, h.extractOutputValues().get(40).threshold, "version 2: its own base until a new warm-up");
        }
    }

    @Test
    void aScoreThatIsNotANumberAlertsAsInvalidAndNeverEntersTheStatistics() throws Exception {
        try (var h = harness(ThresholdFunction.adaptive(0.02, 20, 100, 0.99, 10, Duration.ofHours(1)))) {
            Random r = new Random(3);
            int i = 0;
            for (; i < 40; i++) {
                h.processElement(scored("a", i, 0.005 * Math.exp(0.05 * r.nextGaussian())), 0);
            }
            h.processElement(scored("a", i++, Double.NaN), 0);
            h.processElement(scored("a", i++, Double.POSITIVE_INFINITY), 0);
            h.processElement(scored("a", i++, 0.005), 0);
            List<ScoredFrame> judged = h.extractOutputValues();
            assertEquals(List.of(true, true, false), judged.subList(40, 43).stream().map(f -> f.anomaly).toList());
            double adapted = judged.get(40).threshold; // from the 40 normal frames
            assertTrue(adapted < 0.007, "adapted to the normal scores: " + adapted);
            assertEquals(adapted, judged.get(42).threshold, 0.0, "the source's statistics are those before the NaN and the Inf");
            List<Alert> alerts = h.getSideOutput(ThresholdFunction.ALERTS).stream().map(rec -> rec.getValue())
                    .filter(a -> a.frameId.equals("a-40") || a.frameId.equals("a-41")).toList();
            assertEquals(List.of(Severity.INVALID, Severity.INVALID), alerts.stream().map(a -> a.severity).toList());
            String json = io.latentwatch.pipeline.kafka.JsonRecords.alert(alerts.get(0));
            assertTrue(json.contains("\"severity\":\"invalid\"") && json.contains("\"score\":null"), json);
        }
    }
}

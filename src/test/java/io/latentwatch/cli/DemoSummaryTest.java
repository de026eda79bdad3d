package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.latentwatch.dev.FrameProducer;
import java.awt.Rectangle;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo summary's counts from known truth: per kind, per model version, and where the regions lay. */
class DemoSummaryTest {

    private static FrameProducer.Sent sent(String id, String label, Rectangle box) {
        return new FrameProducer.Sent("cam-0", id, 0, label, !label.equals("none"), box, 100);
    }

    private static final Map<String, FrameProducer.Sent> TRUTH = Map.of(
            "a", sent("a", "none", null),
            "b", sent("b", "none", null),
            "c", sent("c", "scratch", new Rectangle(10, 10, 20, 2)),
            "d", sent("d", "foreign-object", new Rectangle(40, 40, 6, 6)),
            "e", sent("e", "blank", new Rectangle(0, 0, 64, 64)),
            "f", sent("f", "stain", new Rectangle(5, 5, 8, 8)));

    @Test
    void aRegionCountsWhereItOverlapsTheInjectedBoxAndWholeFrameKindsAreLeftOut() {
        Map<String, int[]> regions = Map.of(
                "c", new int[] {25, 11, 4, 4},  // overlaps the scratch
                "d", new int[] {0, 0, 5, 5},    // elsewhere
                "e", new int[] {0, 0, 64, 64}); // blank: not a local defect
        // f alerted without a region, b a false alarm
        DemoSummary.Located l = DemoSummary.located(java.util.Set.of("b", "c", "d", "e", "f"), TRUTH, regions);
        assertEquals(new DemoSummary.Located(3, 1, 1), l);
    }

    @Test
    void kindsAndVersionsCountScoredFramesAndTheirAlerts() {
        List<DemoReader.Scored> scored = List.of(new DemoReader.Scored("a", 0, 1, false), new DemoReader.Scored("b", 30_000, 1, true),
                new DemoReader.Scored("c", 60_000, 2, true), new DemoReader.Scored("e", 120_000, 2, true));
        Map<String, Long> alerted = Map.of("b", 1L, "c", 1L, "e", 1L);
        Map<String, DemoSummary.KindCount> kinds = DemoSummary.perKind(scored, TRUTH, alerted);
        assertEquals(List.of("normal", "scratch", "blank"), List.copyOf(kinds.keySet()), "normal first, then the kinds seen, in order");
        assertEquals(new DemoSummary.KindCount(2, 1), kinds.get("normal"));
        assertEquals(new DemoSummary.KindCount(1, 1), kinds.get("scratch"));
        List<DemoSummary.VersionSpan> versions = DemoSummary.perVersion(scored, TRUTH, alerted);
        assertEquals(2, versions.size());
        assertEquals(new DemoSummary.VersionSpan(1, 2, 2, 1, 0, 30_000), versions.get(0));
        assertEquals(0.5, versions.get(0).minutes(), 1e-9);
        assertEquals(new DemoSummary.VersionSpan(2, 2, 0, 0, 60_000, 120_000), versions.get(1));
    }
}

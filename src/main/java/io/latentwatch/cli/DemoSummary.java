package io.latentwatch.cli;

import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.AnomalyKind;
import java.awt.Rectangle;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The demo's closing summary: frames and frames/s; alert precision and recall overall and per injected kind; false
 * alarms per minute while each model version scored (the lighting drifts: fine-tuning keeps them near the calibrated
 * rate); latency from capture to alert; models accepted and rejected.
 */
final class DemoSummary {

    static final String NORMAL = "normal";
    /** Kinds whose injected box is the whole frame: every region is on them. */
    private static final Set<String> WHOLE_FRAME = Set.of(AnomalyKind.BLANK.label(), AnomalyKind.OVEREXPOSED.label());

    private DemoSummary() {}

    /** Frames of one kind: how many were scored and how many raised an alert. */
    record KindCount(long scored, long alerted) {
        double rate() {
            return scored == 0 ? Double.NaN : (double) alerted / scored;
        }
    }

    /** The frames one model version scored. */
    record VersionSpan(long version, long frames, long normals, long falseAlarms, long fromMillis, long toMillis) {
        double minutes() {
            return Math.max(1, toMillis - fromMillis) / 60_000.0;
        }
    }

    static void print(PrintWriter out, DemoReader r, Map<String, FrameProducer.Sent> truth, long sent, double seconds, double calibratedRate,
            String latencyNote) {
        List<DemoReader.Scored> scored;
        synchronized (r.scored) {
            scored = new ArrayList<>(r.scored);
        }
        Map<String, KindCount> kinds = perKind(scored, truth, r.alerted);
        long anomalies = 0;
        long caught = 0;
        for (Map.Entry<String, KindCount> e : kinds.entrySet()) {
            if (!e.getKey().equals(NORMAL)) {
                anomalies += e.getValue().scored();
                caught += e.getValue().alerted();
            }
        }
        long alerts = r.alerted.size();
        out.println("== summary ==");
        out.printf(Locale.ROOT, "frames: %d sent, %d scored in %.1f s (%.1f frames/s), %d dead letters%s%n", sent, scored.size(), seconds,
                scored.size() / seconds, r.deadLetters.get(), r.unreadable.get() == 0 ? "" : ", " + r.unreadable.get() + " unreadable records skipped");
        out.printf(Locale.ROOT, "alerts: %d, %d true, %d false (%d repeats dropped by frame_id)%n", alerts, caught, alerts - caught,
                r.repeatedAlerts.get());
        out.printf(Locale.ROOT, "alert precision %s, recall %s over %d injected anomalies%n", ratio(caught, alerts), ratio(caught, anomalies), anomalies);
        out.printf(Locale.ROOT, "%-16s %7s %8s %7s%n", "kind", "frames", "alerted", "recall");
        kinds.forEach((kind, c) -> out.printf(Locale.ROOT, "%-16s %7d %8d %7s%n", kind, c.scored(), c.alerted(),
                kind.equals(NORMAL) ? String.format(Locale.ROOT, "(%.1f %% false alarms)", 100 * c.rate()) : ratio(c.alerted(), c.scored())));
        Located located = located(r.alerted.keySet(), truth, r.alertRegions);
        out.printf(Locale.ROOT, "regions: %d of %d alerts of local defects (scratch, stain, missing part, foreign object, noise burst) on the"
                + " injected defect, %d elsewhere, %d without a region%n", located.onDefect(), located.alerts(), located.elsewhere(),
                located.alerts() - located.onDefect() - located.elsewhere());
        for (VersionSpan v : perVersion(scored, truth, r.alerted)) {
            out.printf(Locale.ROOT, "model v%d scored %d frames over %.0f s: %.1f false alarms/min (calibrated rate: %.1f/min)%n", v.version(),
                    v.frames(), v.minutes() * 60, v.falseAlarms() / v.minutes(), calibratedRate * v.normals() / v.minutes());
        }
        List<Long> latencies;
        synchronized (r.alertLatencies) {
            latencies = new ArrayList<>(r.alertLatencies);
        }
        Collections.sort(latencies);
        out.printf("latency capture -> alert: %s (%s)%n",
                latencies.isEmpty() ? "n/a (no alerts)" : "p50 " + percentile(latencies, 0.5) + " ms, p99 " + percentile(latencies, 0.99) + " ms",
                latencyNote);
        long accepted;
        long rejected;
        synchronized (r.decisions) {
            accepted = r.decisions.stream().filter(d -> d.update().accepted() && d.update().valLossBefore() != null).count();
            rejected = r.decisions.stream().filter(d -> !d.update().accepted()).count();
        }
        out.printf("models: %d fine-tuned versions accepted, %d rejected%n", accepted, rejected);
        out.flush();
    }

    /** Scored frames and alerts per label (normal first, then the kinds in their order). */
    static Map<String, KindCount> perKind(List<DemoReader.Scored> scored, Map<String, FrameProducer.Sent> truth, Map<String, Long> alerted) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        counts.put(NORMAL, new long[2]);
        for (AnomalyKind k : AnomalyKind.INJECTED) {
            counts.put(k.label(), new long[2]);
        }
        for (DemoReader.Scored s : scored) {
            FrameProducer.Sent t = truth.get(s.frameId());
            if (t == null) {
                continue;
            }
            long[] c = counts.computeIfAbsent(t.anomaly() ? t.label() : NORMAL, k -> new long[2]);
            c[0]++;
            if (alerted.containsKey(s.frameId())) {
                c[1]++;
            }
        }
        Map<String, KindCount> result = new LinkedHashMap<>();
        counts.forEach((k, c) -> {
            if (c[0] > 0) {
                result.put(k, new KindCount(c[0], c[1]));
            }
        });
        return result;
    }

    /** Alerts of the defects that cover part of the frame, and where their regions lay. */
    record Located(long alerts, long onDefect, long elsewhere) {}

    /** Whether each alert of a local defect put its region on the injected box (any overlap counts). */
    static Located located(Set<String> alerted, Map<String, FrameProducer.Sent> truth, Map<String, int[]> regions) {
        long alerts = 0;
        long onDefect = 0;
        long elsewhere = 0;
        for (String id : alerted) {
            FrameProducer.Sent t = truth.get(id);
            if (t == null || t.region() == null || WHOLE_FRAME.contains(t.label())) {
                continue;
            }
            alerts++;
            int[] r = regions.get(id);
            if (r != null) {
                if (t.region().intersects(new Rectangle(r[0], r[1], r[2], r[3]))) {
                    onDefect++;
                } else {
                    elsewhere++;
                }
            }
        }
        return new Located(alerts, onDefect, elsewhere);
    }

    /** The frames each model version scored, in the order the versions served. */
    static List<VersionSpan> perVersion(List<DemoReader.Scored> scored, Map<String, FrameProducer.Sent> truth, Map<String, Long> alerted) {
        Map<Long, long[]> spans = new LinkedHashMap<>();
        for (DemoReader.Scored s : scored) {
            long[] v = spans.computeIfAbsent(s.version(), k -> new long[] {0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE});
            v[0]++;
            FrameProducer.Sent t = truth.get(s.frameId());
            if (t != null && !t.anomaly()) {
                v[1]++;
                if (alerted.containsKey(s.frameId())) {
                    v[2]++;
                }
            }
            v[3] = Math.min(v[3], s.capturedAt());
            v[4] = Math.max(v[4], s.capturedAt());
        }
        List<VersionSpan> result = new ArrayList<>();
        spans.forEach((version, v) -> result.add(new VersionSpan(version, v[0], v[1], v[2], v[3], v[4])));
        return result;
    }

    static long percentile(List<Long> sorted, double q) {
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static String ratio(long numerator, long denominator) {
        return denominator == 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", (double) numerator / denominator);
    }
}

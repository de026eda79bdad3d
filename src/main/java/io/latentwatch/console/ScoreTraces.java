package io.latentwatch.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per source, its scores over the last {@code window} before its newest frame, downsampled to at most {@code
 * maxPoints} time buckets: a bucket keeps its highest score (a non-finite one first), so that no alert's peak is lost
 * however fast frames come. The window follows the source's own capture times, not this machine's clock, so that a
 * replay of older records shows them too. Not thread-safe.
 */
final class ScoreTraces {

    /**
     * One bucket of a trace: the frame that represents it.
     *
     * @param bucket capture time / bucket length: a later point of the same bucket replaces this one
     * @param score null for a non-finite score
     */
    record Point(long bucket, long capturedAt, Double score, Double threshold, boolean anomaly, long modelVersion) {

        /** Whether this point outranks {@code other} as its bucket's representative. */
        boolean outranks(Point other) {
            if (score == null || other.score == null) {
                return score == null && other.score != null;
            }
            return score > other.score;
        }
    }

    private final long windowMillis;
    private final long bucketMillis;
    private final int maxPoints;
    private final int maxSources;
    private final Map<String, TreeMap<Long, Point>> traces = new LinkedHashMap<>();

    /**
     * @param window how far back from each source's newest frame a trace reaches
     * @param maxPoints buckets per trace, at least 2
     * @param maxSources traces kept; points of further sources are dropped
     */
    ScoreTraces(Duration window, int maxPoints, int maxSources) {
        if (window.toMillis() < 1 || maxPoints < 2 || maxSources < 1) {
            throw new IllegalArgumentException("a trace needs a window of at least 1 ms, 2 points and one source, got " + window + ", "
                    + maxPoints + " points, " + maxSources + " sources");
        }
        this.windowMillis = window.toMillis();
        this.maxPoints = maxPoints;
        this.bucketMillis = Math.max(1, ceilDiv(windowMillis, maxPoints));
        this.maxSources = maxSources;
    }

    /** @return the point as the trace now holds it for the score's bucket, or null when the score was not kept */
    Point add(LatentScore s) {
        TreeMap<Long, Point> trace = traces.get(s.source());
        if (trace == null) {
            if (traces.size() >= maxSources) {
                return null;
            }
            trace = new TreeMap<>();
            traces.put(s.source(), trace);
        }
        long bucket = Math.floorDiv(s.capturedAt(), bucketMillis);
        if (!trace.isEmpty() && bucket <= trace.lastKey() - bucketsPerWindow()) {
            return null;
        }
        Point p = new Point(bucket, s.capturedAt(), s.score(), s.threshold(), s.anomaly(), s.modelVersion());
        Point held = trace.get(bucket);
        if (held != null && !p.outranks(held)) {
            return null;
        }
        trace.put(bucket, p);
        trace.headMap(trace.lastKey() - bucketsPerWindow(), true).clear();
        while (trace.size() > maxPoints) {
            trace.pollFirstEntry();
        }
        return p;
    }

    /** The buckets a window spans; a point more than this many buckets before the newest falls out. */
    long bucketsPerWindow() {
        return ceilDiv(windowMillis, bucketMillis);
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    long bucketMillis() {
        return bucketMillis;
    }

    long windowMillis() {
        return windowMillis;
    }

    /** Each source's points, oldest first, sources in the order they appeared. */
    Map<String, List<Point>> snapshot() {
        Map<String, List<Point>> out = new LinkedHashMap<>();
        traces.forEach((source, trace) -> out.put(source, new ArrayList<>(trace.values())));
        return out;
    }
}

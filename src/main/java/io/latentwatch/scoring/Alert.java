package io.latentwatch.scoring;

/** An anomalous frame, as the alerts topic carries it. A Flink POJO. */
public class Alert {

    public String source;
    public String frameId;
    public long capturedAt;
    /** When the threshold was crossed (epoch ms). */
    public long detectedAt;
    public long modelVersion;
    public double score;
    public double threshold;
    public double mse;
    public Severity severity;
    /** {x, y, w, h} in the frame's own pixel coordinates, or null (see {@link ScoredFrame#region}). */
    public int[] region;
    /** {x, y} in the frame's own pixel coordinates, or null. */
    public int[] peak;
    /** The frame with its anomaly map over it, PNG, or null (none rendered, or none within the size limit). */
    public byte[] anomalyMapPng;

    public Alert() {}

    /** The alert for a judged anomalous frame. */
    public static Alert of(ScoredFrame f, long detectedAt) {
        Alert a = new Alert();
        a.source = f.source;
        a.frameId = f.frameId;
        a.capturedAt = f.capturedAt;
        a.detectedAt = detectedAt;
        a.modelVersion = f.modelVersion;
        a.score = f.score;
        a.threshold = f.threshold;
        a.mse = f.mse;
        a.severity = Severity.of(f.score, f.threshold);
        a.region = f.region;
        a.peak = f.peak;
        a.anomalyMapPng = f.anomalyMapPng;
        return a;
    }

    @Override
    public String toString() {
        return "Alert[" + source + "/" + frameId + ", score=" + score + ", threshold=" + threshold + ", " + severity.label() + "]";
    }
}

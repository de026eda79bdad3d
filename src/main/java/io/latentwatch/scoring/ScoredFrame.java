package io.latentwatch.scoring;

/**
 * One frame's scores and latent posterior, as the scorer emits them and, once judged against its source's
 * threshold, as the latents topic carries them. A Flink POJO; treat instances as immutable once emitted (the
 * arrays too): {@link #judged(double, boolean)} makes a copy.
 */
public class ScoredFrame {

    public String source;
    public String frameId;
    public long capturedAt;
    /** When the model scored the frame (epoch ms). */
    public long scoredAt;
    public long modelVersion;
    public double mse;
    public double kl;
    public double score;
    public float[] mu;
    public float[] logVar;
    /** The source's threshold the frame was judged against; NaN before judging, or while a source has none. */
    public double threshold = Double.NaN;
    public boolean anomaly;
    /** The served model's calibrated threshold (NaN: it has none); the threshold step starts from it. */
    public double modelThreshold = Double.NaN;
    /**
     * {x, y, w, h} of the anomaly map's area above its threshold that holds the peak, in the frame's own pixel
     * coordinates; null when no area is above it, or the model measures no maps.
     */
    public int[] region;
    /** {x, y} of the map's highest value in the frame's own pixel coordinates; null whenever {@link #region} is. */
    public int[] peak;
    /**
     * The frame with its anomaly map and region over it, as a PNG, for frames with a region where the job renders
     * them (else null). Never written to the latents topic; only alerts carry it.
     */
    public byte[] anomalyMapPng;
    /**
     * The frame's normalised pixels, only for the frames sampled for fine-tuning (else null). Never written to the
     * latents topic; {@link #judged} does not carry them on.
     */
    public float[] pixels;

    public ScoredFrame() {}

    /** The frame's scores from a batch, not yet judged. */
    public static ScoredFrame of(String source, String frameId, long capturedAt, long scoredAt, long modelVersion, FrameScore s) {
        ScoredFrame f = new ScoredFrame();
        f.source = source;
        f.frameId = frameId;
        f.capturedAt = capturedAt;
        f.scoredAt = scoredAt;
        f.modelVersion = modelVersion;
        f.mse = s.mse;
        f.kl = s.kl;
        f.score = s.score;
        f.mu = s.mu;
        f.logVar = s.logVar;
        return f;
    }

    /** A copy judged against a threshold (the latent arrays, region, peak and PNG are shared). */
    public ScoredFrame judged(double threshold, boolean anomaly) {
        ScoredFrame f = new ScoredFrame();
        f.source = source;
        f.frameId = frameId;
        f.capturedAt = capturedAt;
        f.scoredAt = scoredAt;
        f.modelVersion = modelVersion;
        f.mse = mse;
        f.kl = kl;
        f.score = score;
        f.mu = mu;
        f.logVar = logVar;
        f.threshold = threshold;
        f.anomaly = anomaly;
        f.modelThreshold = modelThreshold;
        f.region = region;
        f.peak = peak;
        f.anomalyMapPng = anomalyMapPng;
        return f;
    }

    @Override
    public String toString() {
        return "ScoredFrame[" + source + "/" + frameId + ", score=" + score + ", threshold=" + threshold + (anomaly ? ", ANOMALY" : "") + "]";
    }
}

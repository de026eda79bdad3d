package io.latentwatch.scoring;

/**
 * The scores of one frame: mse (mean over pixels of (x̂ − x)² in [−1, 1] space, x̂ = decode(μ)), kl (the frame's
 * KL divergence to the prior), the model's anomaly score, the latent posterior (μ, log σ²), and, where the scorer
 * measures them, the frame's anomaly map with its two image scores.
 */
public final class FrameScore {
    public final double mse;
    public final double kl;
    public final double score;
    public final float[] mu;
    public final float[] logVar;
    /** The anomaly map, or null where the scorer measures none. */
    public final AnomalyMap map;
    /** The map's highest value (NaN without a map). */
    public final double mapMax;
    /** The mean of the map's top-k values (NaN without a map). */
    public final double mapTopK;

    public FrameScore(double mse, double kl, double score, float[] mu, float[] logVar) {
        this(mse, kl, score, mu, logVar, null, Double.NaN, Double.NaN);
    }

    public FrameScore(double mse, double kl, double score, float[] mu, float[] logVar, AnomalyMap map, double mapMax, double mapTopK) {
        this.mse = mse;
        this.kl = kl;
        this.score = score;
        this.mu = mu;
        this.logVar = logVar;
        this.map = map;
        this.mapMax = mapMax;
        this.mapTopK = mapTopK;
    }

    /** The same frame with another anomaly score. */
    public FrameScore withScore(double other) {
        return new FrameScore(mse, kl, other, mu, logVar, map, mapMax, mapTopK);
    }
}

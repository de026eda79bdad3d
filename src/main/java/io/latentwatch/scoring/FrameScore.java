package io.latentwatch.scoring;

/**
 * The scores of one frame: mse (mean over pixels of (x̂ − x)² in [−1, 1] space, x̂ = decode(μ)), kl (the frame's
 * KL divergence to the prior), the model's anomaly score, and the latent posterior (μ, log σ²).
 */
public final class FrameScore {
    public final double mse;
    public final double kl;
    public final double score;
    public final float[] mu;
    public final float[] logVar;

    public FrameScore(double mse, double kl, double score, float[] mu, float[] logVar) {
        this.mse = mse;
        this.kl = kl;
        this.score = score;
        this.mu = mu;
        this.logVar = logVar;
    }
}

package io.latentwatch.scoring;

/**
 * Per-source statistics of the log scores of normal frames, exponentially weighted: the keyed state behind an
 * adaptive threshold. A Flink POJO.
 *
 * <p>The weight of a new frame is max(1/n, 1/window): the plain mean and variance of the first {@code window}
 * frames, then an exponential moving average that mostly remembers the last {@code window} frames.
 */
public class SourceThreshold {

    /** Normal frames seen. */
    public long normals;
    /** Weighted mean of ln(score). */
    public double logMean;
    /** Weighted variance of ln(score). */
    public double logVariance;
    /** The model version whose scores these are; another version's scores start the statistics afresh. */
    public long modelVersion;

    public SourceThreshold() {}

    /** Takes in a normal frame's score. */
    public void add(double score, int window) {
        double x = Math.log(Math.max(score, Double.MIN_NORMAL));
        normals++;
        double alpha = Math.max(1.0 / normals, 1.0 / window);
        double delta = x - logMean;
        logMean += alpha * delta;
        logVariance = (1 - alpha) * (logVariance + alpha * delta * delta);
    }

    /** The score at standard-normal quantile z of the fitted log-normal: exp(mean + z × sd). */
    public double quantile(double z) {
        return Math.exp(logMean + z * Math.sqrt(logVariance));
    }
}

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

    /**
     * The standard normal quantile function Φ⁻¹(p), by Acklam's rational approximation (relative error below
     * 1.2e-9).
     */
    public static double inverseNormal(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("probability must be in (0, 1), got " + p);
        }
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            double q = Math.sqrt(-2 * Math.log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}

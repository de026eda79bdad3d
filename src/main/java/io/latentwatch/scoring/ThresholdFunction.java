package io.latentwatch.scoring;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Judges each scored frame against its source's threshold (keyed by source): emits the frame with its threshold and
 * anomaly flag (what the latents topic carries), and an {@link Alert} to the {@link #ALERTS} side output for every
 * anomalous frame.
 *
 * <p>The base threshold is the model's calibrated one or a configured value. With adaptation on, each source keeps
 * {@link SourceThreshold} statistics of the log scores of its normal frames in keyed state; after {@code warmUp}
 * normal frames its threshold is the {@code quantile} of the fitted log-normal, kept within [base / maxAdaptation,
 * base × maxAdaptation] when there is a base. Frames judged anomalous never enter the statistics. A frame whose score
 * is not finite (NaN, infinite) is anomalous whatever the threshold, and alerts with severity {@link Severity#INVALID}. Without a base
 * threshold a source raises no alert before its warm-up ends. A source's state is dropped after it has been silent
 * for the state TTL.
 *
 * <p>With {@link #followingTheModel()} the base is the threshold the scorer put in each frame ({@link
 * ScoredFrame#modelThreshold}, the served version's calibrated one), so a hot-swapped model brings its own threshold;
 * a source's adapted statistics start afresh when its frames come from another model version, since they were fitted
 * to the old model's scores.
 *
 * <p>Frames that carry pixels (sampled by the scorer for fine-tuning) and are judged normal against a threshold go
 * to the {@link #NORMAL_SAMPLES} side output: never an alerted frame, never one judged while there is no threshold.
 *
 * <p>Metrics (group {@code latentwatch}): {@code alerts} (counter).
 */
public final class ThresholdFunction extends KeyedProcessFunction<String, ScoredFrame, ScoredFrame> {

    private static final long serialVersionUID = 1L;

    /** The side output of alerts. */
    public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts") {};

    /** The side output of sampled normal frames' pixels, for the fine-tuner's reservoir. */
    public static final OutputTag<float[]> NORMAL_SAMPLES = new OutputTag<>("normal-samples") {};

    private final double base;
    private final boolean adaptive;
    private final int warmUp;
    private final int window;
    private final double quantile;
    private final double z;
    private final double maxAdaptation;
    private final Duration stateTtl;
    private final boolean followModel;

    private transient ValueState<SourceThreshold> state;
    private transient Counter alerts;

    /**
     * A fixed threshold.
     *
     * @throws IllegalArgumentException if the threshold is not finite and positive
     */
    public static ThresholdFunction fixed(double threshold) {
        checkBase(threshold, false);
        return new ThresholdFunction(threshold, false, 0, 1, 0.99, 1, Duration.ofDays(1), false);
    }

    /**
     * A threshold adapted per source.
     *
     * @param base the model's or configured threshold; NaN for none
     * @param warmUp normal frames before a source's own threshold applies, at least 1
     * @param window the weight of a new normal frame is at least 1/window, at least 1
     * @param quantile quantile of the normal scores, in (0.5, 1)
     * @param maxAdaptation the adapted threshold stays within [base / f, base × f], f ≥ 1
     * @param stateTtl a source's state is dropped after this long without frames
     * @throws IllegalArgumentException naming the setting that is out of range
     */
    public static ThresholdFunction adaptive(double base, int warmUp, int window, double quantile, double maxAdaptation, Duration stateTtl) {
        checkBase(base, true);
        check(warmUp >= 1, "warm-up must be at least 1 frame, got %s", warmUp);
        check(window >= 1, "adaptation window must be at least 1 frame, got %s", window);
        check(quantile > 0.5 && quantile < 1, "quantile must be in (0.5, 1), got %s", quantile);
        check(maxAdaptation >= 1 && Double.isFinite(maxAdaptation), "max adaptation must be a finite factor >= 1, got %s", maxAdaptation);
        check(stateTtl != null && !stateTtl.isNegative() && !stateTtl.isZero(), "state TTL must be positive, got %s", stateTtl);
        return new ThresholdFunction(base, true, warmUp, window, quantile, maxAdaptation, stateTtl, false);
    }

    /**
     * The same function, taking as its base the served model's threshold carried in each frame where there is one
     * (the base given here stays the fallback). For jobs whose scorers switch model versions.
     */
    public ThresholdFunction followingTheModel() {
        return new ThresholdFunction(base, adaptive, warmUp, window, quantile, maxAdaptation, stateTtl, true);
    }

    private ThresholdFunction(double base, boolean adaptive, int warmUp, int window, double quantile, double maxAdaptation, Duration stateTtl,
            boolean followModel) {
        this.base = base;
        this.adaptive = adaptive;
        this.warmUp = warmUp;
        this.window = window;
        this.quantile = quantile;
        this.z = inverseNormal(quantile);
        this.maxAdaptation = maxAdaptation;
        this.stateTtl = stateTtl;
        this.followModel = followModel;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        if (adaptive) {
            ValueStateDescriptor<SourceThreshold> d = new ValueStateDescriptor<>("source-threshold", SourceThreshold.class);
            d.enableTimeToLive(StateTtlConfig.newBuilder(stateTtl).setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite).build());
            state = getRuntimeContext().getState(d);
        }
        alerts = getRuntimeContext().getMetricGroup().addGroup("latentwatch").counter("alerts");
    }

    @Override
    public void processElement(ScoredFrame frame, Context ctx, Collector<ScoredFrame> out) throws Exception {
        SourceThreshold stats = adaptive ? state.value() : null;
        if (stats != null && stats.modelVersion != frame.modelVersion) {
            stats = null; // fitted to another model's scores
        }
        double base = followModel && Double.isFinite(frame.modelThreshold) ? frame.modelThreshold : this.base;
        double threshold = threshold(stats, base);
        // a score that is not a number is a model or input fault, never "normal": it alerts, and stays out of the statistics
        boolean invalid = !Double.isFinite(frame.score);
        boolean anomaly = invalid || frame.score > threshold; // false while the threshold is NaN
        ScoredFrame judged = frame.judged(threshold, anomaly);
        out.collect(judged);
        if (anomaly) {
            ctx.output(ALERTS, Alert.of(judged, System.currentTimeMillis()));
            alerts.inc();
            return;
        }
        if (frame.pixels != null && !Double.isNaN(threshold)) {
            ctx.output(NORMAL_SAMPLES, frame.pixels);
        }
        if (adaptive) {
            if (stats == null) {
                stats = new SourceThreshold();
                stats.modelVersion = frame.modelVersion;
            }
            stats.add(frame.score, window);
            state.update(stats);
        }
    }

    /** The threshold a source with these statistics (null: none yet) is judged against, from the function's base. */
    double threshold(SourceThreshold stats) {
        return threshold(stats, base);
    }

    private double threshold(SourceThreshold stats, double base) {
        if (!adaptive || stats == null || stats.normals < warmUp) {
            return base;
        }
        double t = stats.quantile(z);
        if (Double.isFinite(base)) {
            t = Math.min(Math.max(t, base / maxAdaptation), base * maxAdaptation);
        }
        return t;
    }

    private static void checkBase(double base, boolean nanAllowed) {
        boolean ok = Double.isNaN(base) ? nanAllowed : base > 0 && Double.isFinite(base);
        check(ok, "threshold must be finite and positive, got %s", base);
    }

    private static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(format, args));
        }
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

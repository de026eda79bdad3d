package io.latentwatch.pipeline.operators;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.Severity;
import io.latentwatch.scoring.SourceThreshold;
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
        this.z = SourceThreshold.inverseNormal(quantile);
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

}

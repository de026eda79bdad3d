package io.latentwatch.tuning;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.scoring.MapCalibration;
import io.latentwatch.training.ThresholdRecalibrator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides whether a fine-tuned candidate may replace the serving model, and recalibrates its threshold if so.
 *
 * <p>A candidate is accepted only if
 *
 * <ol>
 *   <li>there are at least {@code minHeldOutFrames} held-out frames and one reference frame;
 *   <li>every weight and BatchNorm statistic is finite;
 *   <li>its validation loss on the held-out frames (recent normal frames it was not trained on) and on the reference
 *       frames (a fixed set from the model's training) is finite and at most (1 + tolerance) × the serving model's
 *       on the same frames (each set has its own tolerance, by default the same);
 *   <li>its threshold can be recalibrated ({@link ThresholdRecalibrator}): by default the quantile of its held-out
 *       mse that leaves the serving model's calibrated false-alarm rate (1 % when it has none) above it.
 * </ol>
 *
 * <p>The validation loss is the mean eval-mode mse ({@value #METRIC}), not the full DIP loss, because it is what the
 * scorers threshold: a candidate whose mse regresses raises the false-alarm rate whatever its KL and DIP terms do.
 * It is also per frame, so it does not depend on how the held-out set is batched (the DIP term's covariance does, and
 * the reservoir's parts change size), and it is computed through {@link BatchScorer}, the serving path itself
 * (BatchNorm folded), so a candidate that would score badly once folded is caught here. The full DIP loss is what
 * the fine-tuner minimises; its train-mode values are in {@link FineTuneResult}.
 *
 * <p>Immutable. Each decision snapshots both models into eval-mode scorers on the gate's device and closes them.
 */
public final class ValidationGate implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /** The validation loss: mean over frames of the eval-mode mse of decode(μ) (DESIGN.md's mse). */
    public static final String METRIC = "eval_mse";

    /** Frames per scoring call. */
    private static final int BATCH = 256;

    private final double tolerance;
    private final double referenceTolerance;
    private final double defaultFalseAlarmRate;
    private final int minHeldOutFrames;
    private final String device;
    private final ThresholdRecalibrator recalibrator;

    private ValidationGate(Builder b) {
        this.tolerance = b.tolerance;
        this.referenceTolerance = Double.isNaN(b.referenceTolerance) ? b.tolerance : b.referenceTolerance;
        this.defaultFalseAlarmRate = b.defaultFalseAlarmRate;
        this.minHeldOutFrames = b.minHeldOutFrames;
        this.device = b.device;
        this.recalibrator = b.recalibrator;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Decides about a fine-tune's candidate: a run that diverged is refused at once, naming the step and loss;
     * otherwise as {@link #evaluate(DipVae, ModelMetadata, DipVae, List, List)}.
     */
    public GateDecision evaluate(DipVae serving, ModelMetadata servingMetadata, FineTuneResult tuned, List<float[]> heldOut,
            List<float[]> reference) {
        return evaluate(serving, servingMetadata, null, tuned, heldOut, reference);
    }

    /**
     * As {@link #evaluate(DipVae, ModelMetadata, FineTuneResult, List, List)}, for a serving model with anomaly maps:
     * the candidate's held-out maps are standardised by the serving model's pixel statistics (which the candidate
     * inherits), so that the recalibration refits the map's thresholds and scales.
     *
     * @param servingMaps the serving model's calibrated maps, or null for none
     */
    public GateDecision evaluate(DipVae serving, ModelMetadata servingMetadata, MapCalibration servingMaps, FineTuneResult tuned,
            List<float[]> heldOut, List<float[]> reference) {
        if (tuned.diverged()) {
            return refused(String.format(Locale.ROOT, "fine-tune diverged: step %d of %d had a loss of %s", tuned.stepsRun(),
                    tuned.stepsRequested(), tuned.lastLoss().total), Double.NaN, Double.NaN, Double.NaN, heldOut.size(), reference.size());
        }
        return evaluate(serving, servingMetadata, servingMaps, tuned.candidate(), heldOut, reference);
    }

    /**
     * Decides about a candidate. Neither model is changed.
     *
     * @param serving the model the scorers serve now
     * @param servingMetadata its metadata (for the calibration and its false-alarm rate)
     * @param candidate the fine-tuned model, same config
     * @param heldOut recent normal frames the candidate was not trained on (the reservoir's held-out part)
     * @param reference a fixed set of normal frames from the model's training
     * @throws IllegalArgumentException if the configs differ or a frame has the wrong number of values
     */
    public GateDecision evaluate(DipVae serving, ModelMetadata servingMetadata, DipVae candidate, List<float[]> heldOut,
            List<float[]> reference) {
        return evaluate(serving, servingMetadata, null, candidate, heldOut, reference);
    }

    /** As {@link #evaluate(DipVae, ModelMetadata, DipVae, List, List)}, with the serving model's anomaly maps (or null). */
    public GateDecision evaluate(DipVae serving, ModelMetadata servingMetadata, MapCalibration servingMaps, DipVae candidate,
            List<float[]> heldOut, List<float[]> reference) {
        if (!serving.getConfig().equals(candidate.getConfig())) {
            throw new IllegalArgumentException("candidate config " + candidate.getConfig() + " differs from the serving model's " + serving.getConfig());
        }
        int fv = serving.getConfig().frameValues();
        float[] held = pack(heldOut, fv, "held-out");
        float[] ref = pack(reference, fv, "reference");
        int nh = heldOut.size();
        int nr = reference.size();
        if (nh < minHeldOutFrames) {
            return refused("held-out set has " + nh + " frames, the gate needs at least " + minHeldOutFrames, Double.NaN, Double.NaN,
                    Double.NaN, nh, nr);
        }
        if (nr == 0) {
            return refused("reference set is empty (it must hold frames from the model's training)", Double.NaN, Double.NaN, Double.NaN, nh, nr);
        }
        Device dev = Devices.resolve(device, 0);
        double heldBefore;
        double refBefore;
        try (BatchScorer scorer = new BatchScorer(serving, dev, DataType.FLOAT32, ModelMetadata.DEFAULT_SCORE)) {
            heldBefore = meanMse(score(scorer, held, nh, fv));
            refBefore = meanMse(score(scorer, ref, nr, fv));
        }
        String bad = firstNonFinite(candidate);
        if (bad != null) {
            return refused("candidate " + bad, heldBefore, Double.NaN, refBefore, nh, nr);
        }
        FrameScore[] heldScores;
        double refAfter;
        try (BatchScorer scorer = new BatchScorer(candidate, dev, DataType.FLOAT32, MemoryLayout.NHWC, AnomalyScore.mse(), servingMaps)) {
            heldScores = score(scorer, held, nh, fv);
            refAfter = meanMse(score(scorer, ref, nr, fv));
        }
        double heldAfter = meanMse(heldScores);
        if (!Double.isFinite(heldAfter) || !Double.isFinite(refAfter)) {
            return new GateDecision(false, String.format(Locale.ROOT, "candidate's validation %s is not finite (held-out %s, reference %s)",
                    METRIC, heldAfter, refAfter), heldBefore, heldAfter, refBefore, refAfter, nh, nr, Double.NaN, null);
        }
        String numbers = String.format(Locale.ROOT, "held-out %s %.6g -> %.6g (%s), reference %.6g -> %.6g (%s)", METRIC, heldBefore,
                heldAfter, change(heldBefore, heldAfter), refBefore, refAfter, change(refBefore, refAfter));
        if (heldAfter > heldBefore * (1 + tolerance)) {
            return new GateDecision(false, "held-out loss regressed beyond the tolerance of " + percent(tolerance) + ": " + numbers, heldBefore,
                    heldAfter, refBefore, refAfter, nh, nr, Double.NaN, null);
        }
        if (refAfter > refBefore * (1 + referenceTolerance)) {
            return new GateDecision(false, "reference loss regressed beyond the tolerance of " + percent(referenceTolerance) + ": " + numbers,
                    heldBefore, heldAfter, refBefore, refAfter, nh, nr, Double.NaN, null);
        }
        double rate = falseAlarmRate(servingMetadata);
        JsonObject calibration;
        double threshold;
        try {
            calibration = recalibrator.recalibrate(servingMetadata.calibration(), heldScores, rate);
            threshold = calibration.get("threshold").getAsDouble();
        } catch (RuntimeException e) {
            return new GateDecision(false, "cannot recalibrate the threshold: " + e.getMessage(), heldBefore, heldAfter, refBefore, refAfter,
                    nh, nr, Double.NaN, null);
        }
        if (!Double.isFinite(threshold)) {
            return new GateDecision(false, "recalibrated threshold is not finite (" + threshold + ")", heldBefore, heldAfter, refBefore,
                    refAfter, nh, nr, Double.NaN, null);
        }
        String reason = String.format(Locale.ROOT, "%s; threshold %.6g at a %.3g %% false-alarm rate on %d held-out frames", numbers,
                threshold, rate * 100, nh);
        return new GateDecision(true, reason, heldBefore, heldAfter, refBefore, refAfter, nh, nr, threshold, calibration);
    }

    /**
     * The false-alarm rate of a model's calibration: its {@code false_alarm_rate}, else 1 − {@code quantile}, else
     * the gate's default (also when the stored rate is outside (0, 0.5]).
     */
    double falseAlarmRate(ModelMetadata metadata) {
        JsonObject c = metadata.calibration();
        double rate = Double.NaN;
        JsonElement r = c.get("false_alarm_rate");
        JsonElement q = c.get("quantile");
        if (r != null && r.isJsonPrimitive() && r.getAsJsonPrimitive().isNumber()) {
            rate = r.getAsDouble();
        } else if (q != null && q.isJsonPrimitive() && q.getAsJsonPrimitive().isNumber()) {
            rate = 1 - q.getAsDouble();
        }
        return rate > 0 && rate <= 0.5 ? rate : defaultFalseAlarmRate;
    }

    private static GateDecision refused(String reason, double heldBefore, double heldAfter, double refBefore, int nh, int nr) {
        return new GateDecision(false, reason, heldBefore, heldAfter, refBefore, Double.NaN, nh, nr, Double.NaN, null);
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.3g %%", fraction * 100);
    }

    private static String change(double before, double after) {
        return String.format(Locale.ROOT, "%+.1f %%", (after / before - 1) * 100);
    }

    /** "weight 'name' holds NaN at flat index i", or null when every value is finite. */
    private static String firstNonFinite(DipVae model) {
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            float[] v = e.getValue().getArray().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    return "weight '" + e.getKey() + "' holds " + v[i] + " at flat index " + i + " (weights must be finite)";
                }
            }
        }
        return null;
    }

    private static float[] pack(List<float[]> frames, int fv, String what) {
        float[] out = new float[frames.size() * fv];
        for (int i = 0; i < frames.size(); i++) {
            float[] f = frames.get(i);
            if (f.length != fv) {
                throw new IllegalArgumentException(what + " frame " + i + " has " + f.length + " values, the model takes " + fv);
            }
            System.arraycopy(f, 0, out, i * fv, fv);
        }
        return out;
    }

    private static FrameScore[] score(BatchScorer scorer, float[] frames, int count, int fv) {
        FrameScore[] out = new FrameScore[count];
        float[] batch = new float[Math.min(BATCH, count) * fv];
        for (int from = 0; from < count; from += BATCH) {
            int n = Math.min(BATCH, count - from);
            System.arraycopy(frames, from * fv, batch, 0, n * fv);
            System.arraycopy(scorer.score(batch, n), 0, out, from, n);
        }
        return out;
    }

    private static double meanMse(FrameScore[] scores) {
        double sum = 0;
        for (FrameScore s : scores) {
            sum += s.mse;
        }
        return sum / scores.length;
    }

    public double tolerance() {
        return tolerance;
    }

    public double referenceTolerance() {
        return referenceTolerance;
    }

    public int minHeldOutFrames() {
        return minHeldOutFrames;
    }

    /** Settings of the gate; every one has a default. */
    public static final class Builder {
        private double tolerance = 0.05;
        private double referenceTolerance = Double.NaN;
        private double defaultFalseAlarmRate = 0.01;
        private int minHeldOutFrames = 50;
        private String device = "auto";
        private ThresholdRecalibrator recalibrator = ThresholdRecalibrator.heldOutQuantile();

        private Builder() {}

        /**
         * How much worse than the serving model the candidate's held-out loss may be, relative: 0.05 accepts up to
         * 5 % worse (default 0.05; also the reference set's unless {@link #optReferenceTolerance} is set).
         */
        public Builder optTolerance(double tolerance) {
            this.tolerance = tolerance;
            return this;
        }

        /**
         * How much worse the candidate may be on the reference set (default: the held-out tolerance). Under a lasting
         * drift the old frames become less typical, so a looser reference tolerance lets the model follow the camera
         * while still refusing one that forgot the scene.
         */
        public Builder optReferenceTolerance(double tolerance) {
            this.referenceTolerance = tolerance;
            return this;
        }

        /** The false-alarm rate to recalibrate at when the serving model's calibration names none (default 0.01). */
        public Builder optDefaultFalseAlarmRate(double rate) {
            this.defaultFalseAlarmRate = rate;
            return this;
        }

        /** Fewest held-out frames a decision may rest on (default 50). */
        public Builder optMinHeldOutFrames(int frames) {
            this.minHeldOutFrames = frames;
            return this;
        }

        /** Where the eval-mode scoring runs: "auto", "cpu", "gpu" or "gpu:N" (default auto). */
        public Builder optDevice(String device) {
            this.device = device;
            return this;
        }

        /** How an accepted candidate's calibration is made (default {@link ThresholdRecalibrator#heldOutQuantile()}). */
        public Builder optRecalibrator(ThresholdRecalibrator recalibrator) {
            this.recalibrator = recalibrator;
            return this;
        }

        public ValidationGate build() {
            if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
                throw new IllegalArgumentException("gate tolerance must be finite and >= 0, got " + tolerance);
            }
            if (!Double.isNaN(referenceTolerance) && (!(referenceTolerance >= 0) || Double.isInfinite(referenceTolerance))) {
                throw new IllegalArgumentException("gate reference tolerance must be finite and >= 0, got " + referenceTolerance);
            }
            if (!(defaultFalseAlarmRate > 0 && defaultFalseAlarmRate <= 0.5)) {
                throw new IllegalArgumentException("default false-alarm rate must be in (0, 0.5], got " + defaultFalseAlarmRate);
            }
            if (minHeldOutFrames < 1) {
                throw new IllegalArgumentException("minimum held-out frames must be at least 1, got " + minHeldOutFrames);
            }
            if (recalibrator == null) {
                throw new IllegalArgumentException("recalibrator must not be null");
            }
            Devices.resolve(device, 0);
            return new ValidationGate(this);
        }
    }
}

package io.latentwatch.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.FrameScore;
import java.util.Arrays;

/**
 * Makes an accepted candidate's calibration (model.json's {@code calibration} object) from its eval-mode scores of
 * the held-out frames. The default, {@link #heldOutQuantile()}, handles the {@code mse} score; a score with fitted
 * state (latent statistics) needs a recalibrator that refits that state from the scores' μ.
 */
@FunctionalInterface
public interface ThresholdRecalibrator extends java.io.Serializable { // a gate travels to the task manager with it

    /**
     * @param servingCalibration the serving model's calibration (score name, threshold, quantile, ...)
     * @param heldOut the candidate's scores of the held-out frames (mse, kl, μ, log σ²)
     * @param falseAlarmRate the fraction of normal frames allowed above the new threshold
     * @return the candidate's calibration
     * @throws IllegalArgumentException if this recalibrator cannot calibrate that score (the gate rejects the
     *     candidate with the message)
     */
    JsonObject recalibrate(JsonObject servingCalibration, FrameScore[] heldOut, double falseAlarmRate);

    /**
     * The mse score's threshold from the held-out frames' mse ({@link #heldOutThreshold}); the serving calibration's
     * other fields are kept, and score, threshold, quantile, frames and false_alarm_rate are set.
     */
    static ThresholdRecalibrator heldOutQuantile() {
        return (serving, heldOut, rate) -> {
            JsonElement s = serving.get("score");
            String score = s == null || s.isJsonNull() ? ModelMetadata.DEFAULT_SCORE : s.getAsString();
            if (!ModelMetadata.DEFAULT_SCORE.equals(score)) {
                throw new IllegalArgumentException("calibration score \"" + score + "\" has fitted state that the held-out quantile "
                        + "recalibrator cannot refit (it handles \"mse\"); give the gate a recalibrator for it");
            }
            double[] mse = new double[heldOut.length];
            for (int i = 0; i < mse.length; i++) {
                mse[i] = heldOut[i].mse;
            }
            JsonObject c = serving.deepCopy();
            c.addProperty("score", score);
            setHeldOutThreshold(c, mse, rate);
            return c;
        };
    }

    /**
     * Sets a new version's threshold in its calibration {@code c}, a copy of the serving one: the larger of
     * {@link #heldOutThreshold} and {@link #transferredThreshold} from c's serving threshold and median; then the
     * scores' median (what the next version scales from), quantile, frames and false_alarm_rate.
     */
    static void setHeldOutThreshold(JsonObject c, double[] scores, double falseAlarmRate) {
        c.addProperty("threshold", transferredThreshold(c, scores, heldOutThreshold(scores, falseAlarmRate)));
        c.addProperty(MEDIAN, median(scores));
        c.addProperty("quantile", 1 - falseAlarmRate);
        c.addProperty("frames", scores.length);
        c.addProperty("false_alarm_rate", falseAlarmRate);
    }

    /**
     * A threshold for a new version from its scores of the reservoir's held-out frames: the larger of their empirical
     * quantile ({@link #threshold}) and the quantile of a log-normal fitted to them robustly (median and MAD of the
     * log scores).
     *
     * <p>Why not the empirical quantile alone: the held-out frames are those the serving model judged normal, so the
     * top of their distribution is cut off (the serving model's false alarms never reach the reservoir), and a few
     * hundred frames pin a 1 % quantile down poorly. Both pull the threshold down and the false-alarm rate up, and
     * the next round's frames are cut at that lower threshold: under drift the rate climbed round after round
     * (measured: 1.7 % → 9.9 % over 2,000 frames). Median and MAD hardly move when the top few percent are missing.
     * The empirical quantile stays the floor for tails heavier than log-normal.
     */
    static double heldOutThreshold(double[] normalScores, double falseAlarmRate) {
        double empirical = threshold(normalScores, falseAlarmRate);
        double[] logs = Arrays.stream(normalScores).filter(v -> v > 0 && Double.isFinite(v)).map(Math::log).sorted().toArray();
        if (logs.length < 2) {
            return empirical;
        }
        double median = medianOfSorted(logs);
        double[] deviations = Arrays.stream(logs).map(x -> Math.abs(x - median)).sorted().toArray();
        double sigma = 1.4826 * medianOfSorted(deviations); // MAD of a normal distribution → its standard deviation
        double z = io.latentwatch.scoring.SourceThreshold.inverseNormal(1 - falseAlarmRate);
        return Math.max(empirical, Math.exp(median + z * sigma));
    }

    /** The calibration's key of its normal scores' median: what a later threshold is scaled from. */
    String MEDIAN = "median";

    /**
     * The larger of a held-out threshold and the serving calibration's threshold scaled by how the typical score moved:
     * {@code serving threshold × median(scores) / serving median}, where the serving calibration has a positive median.
     *
     * <p>Why: the serving threshold was set on the full validation set, with its tail; the held-out frames are a few
     * hundred and lack their top (the serving model's alarms never reach them), so their own quantile and even a
     * log-normal fit land low when the tail is heavier than log-normal, as the anomaly map's top-k is (measured in the
     * demo: fine-tuned versions of a map-topk model at 15–35 false alarms a minute against a calibrated 4). The
     * ratio of threshold to median keeps the tail's shape from the validation set and moves with the scores.
     */
    static double transferredThreshold(JsonObject serving, double[] scores, double heldOutThreshold) {
        JsonElement t = serving.get("threshold");
        JsonElement m = serving.get(MEDIAN);
        if (t == null || m == null || !t.isJsonPrimitive() || !m.isJsonPrimitive() || !t.getAsJsonPrimitive().isNumber()
                || !m.getAsJsonPrimitive().isNumber() || scores.length == 0) {
            return heldOutThreshold;
        }
        double servingMedian = m.getAsDouble();
        double median = median(scores);
        if (!(servingMedian > 0 && median > 0 && Double.isFinite(t.getAsDouble()))) {
            return heldOutThreshold;
        }
        return Math.max(heldOutThreshold, t.getAsDouble() * median / servingMedian);
    }

    /** The median of unsorted scores. */
    static double median(double[] scores) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        return medianOfSorted(sorted);
    }

    private static double medianOfSorted(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * The threshold that leaves at most {@code falseAlarmRate} of the given normal scores strictly above it: the
     * ⌈(1 − rate)·n⌉-th smallest score.
     *
     * @throws IllegalArgumentException if there are no scores
     */
    static double threshold(double[] normalScores, double falseAlarmRate) {
        return io.latentwatch.scoring.AnomalyScore.upperQuantile(normalScores, falseAlarmRate);
    }
}

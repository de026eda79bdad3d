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
public interface ThresholdRecalibrator {

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
     * The mse score's threshold at the quantile of the held-out frames' mse that leaves {@code falseAlarmRate} of
     * them above it; the serving calibration's other fields are kept, and score, threshold, quantile, frames and
     * false_alarm_rate are set.
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
            c.addProperty("threshold", threshold(mse, rate));
            c.addProperty("quantile", 1 - rate);
            c.addProperty("frames", mse.length);
            c.addProperty("false_alarm_rate", rate);
            return c;
        };
    }

    /**
     * The threshold that leaves at most {@code falseAlarmRate} of the given normal scores strictly above it: the
     * ⌈(1 − rate)·n⌉-th smallest score.
     *
     * @throws IllegalArgumentException if there are no scores
     */
    static double threshold(double[] normalScores, double falseAlarmRate) {
        if (normalScores.length == 0) {
            throw new IllegalArgumentException("a threshold needs at least one normal frame's score");
        }
        double[] sorted = normalScores.clone();
        Arrays.sort(sorted);
        int k = (int) Math.ceil((1 - falseAlarmRate) * sorted.length - 1e-9) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }
}

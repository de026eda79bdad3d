package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.scoring.FrameScore;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A fine-tuned version's threshold from a few hundred held-out frames, on scores whose tail is heavier than log-normal. */
class ThresholdRecalibratorTest {

    private static final double RATE = 0.003;

    /** A log-normal body with a Pareto tail, as the anomaly map's top-k of normal frames has. */
    private static double[] heavyTailed(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = Math.exp(0.25 * r.nextGaussian()) + 0.5 * (Math.pow(1 - r.nextDouble(), -1 / 3.0) - 1);
        }
        return v;
    }

    private static double rateAbove(double[] scores, double threshold) {
        return Arrays.stream(scores).filter(s -> s > threshold).count() / (double) scores.length;
    }

    @Test
    void theServingTailCarriesOverToAFineTunedVersion() {
        SplittableRandom r = new SplittableRandom(3);
        double[] validation = heavyTailed(r, 1024);
        JsonObject serving = new JsonObject();
        serving.addProperty("score", "mse");
        serving.addProperty("threshold", ThresholdRecalibrator.threshold(validation, RATE));
        serving.addProperty(ThresholdRecalibrator.MEDIAN, ThresholdRecalibrator.median(validation));
        double servingThreshold = serving.get("threshold").getAsDouble();

        // the held-out frames: 200 that the serving model judged normal (its alarms never reach the reservoir)
        double[] heldOut = Arrays.stream(heavyTailed(r, 600)).filter(s -> s <= servingThreshold).limit(200).toArray();
        FrameScore[] frames = Arrays.stream(heldOut).mapToObj(s -> new FrameScore(s, 0, s, new float[1], new float[1])).toArray(FrameScore[]::new);
        JsonObject candidate = ThresholdRecalibrator.heldOutQuantile().recalibrate(serving, frames, RATE);

        double[] fresh = heavyTailed(r, 200_000);
        double alone = ThresholdRecalibrator.heldOutThreshold(heldOut, RATE);
        assertTrue(rateAbove(fresh, alone) > 3 * RATE, "the held-out frames alone set it too low: " + rateAbove(fresh, alone));
        double threshold = candidate.get("threshold").getAsDouble();
        assertTrue(rateAbove(fresh, threshold) <= 1.5 * RATE, "false alarms of fresh frames: " + rateAbove(fresh, threshold));
        assertEquals(ThresholdRecalibrator.median(heldOut), candidate.get(ThresholdRecalibrator.MEDIAN).getAsDouble(), 1e-12,
                "the next version scales from this one's median");
    }

    @Test
    void withoutAServingMedianTheHeldOutThresholdStands() {
        JsonObject serving = new JsonObject();
        serving.addProperty("score", "mse");
        serving.addProperty("threshold", 100.0);
        double[] scores = {1, 2, 3, 4, 5};
        assertEquals(4.5, ThresholdRecalibrator.transferredThreshold(serving, scores, 4.5), "a model calibrated before medians were kept");
        serving.addProperty(ThresholdRecalibrator.MEDIAN, "fifty");
        assertEquals(4.5, ThresholdRecalibrator.transferredThreshold(serving, scores, 4.5), "a median that is no number is not used");
        serving.addProperty(ThresholdRecalibrator.MEDIAN, 50.0);
        assertEquals(6.0, ThresholdRecalibrator.transferredThreshold(serving, scores, 4.5), "100 × 3 / 50");
        assertEquals(7.0, ThresholdRecalibrator.transferredThreshold(serving, scores, 7.0), "never below the held-out threshold");
    }
}

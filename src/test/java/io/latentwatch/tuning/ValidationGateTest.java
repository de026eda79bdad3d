package io.latentwatch.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.ThresholdRecalibrator;
import io.latentwatch.training.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate's refusals and its recalibration, on candidates whose effect is known without training. */
class ValidationGateTest {

    private static final List<float[]> HELD_OUT = TinyModels.frames(500, 60);
    private static final List<float[]> REFERENCE = TinyModels.frames(600, 20);

    private static ValidationGate.Builder gate() {
        return ValidationGate.builder().optDevice("cpu").optMinHeldOutFrames(50);
    }

    @Test
    void aCandidateThatReconstructsWorseIsRefusedAsARegression() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            ModelDirectory.Loaded candidate = ModelDirectory.read(TinyModels.servingModel(), manager);
            // the final Conv2d's bias shifts every output pixel before the tanh: every frame reconstructs worse
            Parameter bias = candidate.model.stateDict().get("final_layer.3.bias");
            bias.getArray().addi(0.5f);
            GateDecision d = gate().optTolerance(0.05).build().evaluate(serving.model, serving.metadata, candidate.model, HELD_OUT, REFERENCE);
            assertFalse(d.accepted());
            assertTrue(d.reason().startsWith("held-out loss regressed beyond the tolerance of 5.00 %: held-out eval_mse "), d.reason());
            assertTrue(d.heldOutLossAfter() > 1.05 * d.heldOutLossBefore());
            assertTrue(Double.isNaN(d.threshold()));

            // a tolerance that lets the held-out loss through still refuses on the reference set
            GateDecision ref = gate().optTolerance(100).optReferenceTolerance(0).build()
                    .evaluate(serving.model, serving.metadata, candidate.model, HELD_OUT, REFERENCE);
            assertFalse(ref.accepted());
            assertTrue(ref.reason().startsWith("reference loss regressed beyond the tolerance of 0.00 %: "), ref.reason());
            assertTrue(ref.referenceLossAfter() > ref.referenceLossBefore());
        }
    }

    @Test
    void anUnchangedCandidatePassesAndGetsATruncationSafeHeldOutThreshold() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            ModelDirectory.Loaded candidate = ModelDirectory.read(TinyModels.servingModel(), manager);
            GateDecision d = gate().optTolerance(0).build().evaluate(serving.model, serving.metadata, candidate.model, HELD_OUT, REFERENCE);
            assertTrue(d.accepted(), d.reason());
            assertEquals(d.heldOutLossBefore(), d.heldOutLossAfter(), 1e-12);
            assertEquals(60, d.heldOutFrames());
            assertEquals(20, d.referenceFrames());
            // the larger of the ⌈0.99·60⌉ = 60th smallest of 60 (the largest held-out mse) and the 99 % point of a
            // log-normal with the log mse's median and MAD (σ = 1.4826 MAD)
            float[] all = new float[60 * 1024];
            for (int i = 0; i < 60; i++) {
                System.arraycopy(HELD_OUT.get(i), 0, all, i * 1024, 1024);
            }
            double[] logs = new double[60];
            try (var scorer = new io.latentwatch.scoring.BatchScorer(candidate.model, Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32, "mse")) {
                FrameScore[] scores = scorer.score(all, 60);
                for (int i = 0; i < 60; i++) {
                    logs[i] = Math.log(scores[i].mse);
                }
            }
            java.util.Arrays.sort(logs);
            double max = Math.exp(logs[59]);
            double median = (logs[29] + logs[30]) / 2;
            double[] dev = java.util.Arrays.stream(logs).map(x -> Math.abs(x - median)).sorted().toArray();
            double sigma = 1.4826 * (dev[29] + dev[30]) / 2;
            double logNormal = Math.exp(median + 2.3263478740 * sigma);
            assertEquals(Math.max(max, logNormal), d.threshold(), 1e-9 * d.threshold());
            assertEquals(0.99, d.calibration().get("quantile").getAsDouble(), 1e-9);
        }
    }

    @Test
    void tooFewHeldOutFramesOrNoReferenceIsARefusalNotAnError() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            ValidationGate g = gate().build();
            GateDecision few = g.evaluate(serving.model, serving.metadata, serving.model, HELD_OUT.subList(0, 10), REFERENCE);
            assertFalse(few.accepted());
            assertEquals("held-out set has 10 frames, the gate needs at least 50", few.reason());
            GateDecision none = g.evaluate(serving.model, serving.metadata, serving.model, HELD_OUT, List.of());
            assertFalse(none.accepted());
            assertEquals("reference set is empty (it must hold frames from the model's training)", none.reason());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> g.evaluate(serving.model, serving.metadata, serving.model, List.of(new float[5]), REFERENCE));
            assertEquals("held-out frame 0 has 5 values, the model takes 1024", e.getMessage());
        }
    }

    @Test
    void aScoreWithFittedStateNeedsItsOwnRecalibrator() {
        com.google.gson.JsonObject calibration = new com.google.gson.JsonObject();
        calibration.addProperty("score", "mse+mahalanobis");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ThresholdRecalibrator.heldOutQuantile().recalibrate(calibration, new FrameScore[0], 0.01));
        assertTrue(e.getMessage().startsWith("calibration score \"mse+mahalanobis\" has fitted state"), e.getMessage());
        assertEquals(3.0, ThresholdRecalibrator.threshold(new double[] {5, 1, 3, 2, 4}, 0.4), "3 of 5 at or below, 2 above");
        assertEquals(5.0, ThresholdRecalibrator.threshold(new double[] {5, 1, 3, 2, 4}, 0.01));
    }
}

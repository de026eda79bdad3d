package io.latentwatch.tuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.latentwatch.model.DipVaeWeights;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.SafeTensors;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.training.DipVaeTrainer;
import io.latentwatch.training.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning from the serving weights on drifted frames, and fine-tunes that go wrong. */
class FineTunerTest {

    @TempDir Path tmp;

    /** The default 5 % on the held-out frames; the old frames may get a quarter worse as the model follows the drift. */
    private static final ValidationGate GATE = ValidationGate.builder().optDevice("cpu").optMinHeldOutFrames(40)
            .optReferenceTolerance(0.25).build();

    private static FineTuner.Builder tuner() {
        return FineTuner.builder().optDevice("cpu").optBatchSize(16).optSeed(3);
    }

    /** Every value of the model's state_dict, as bytes: equal bytes mean untouched arrays. */
    private static Map<String, SafeTensors.Tensor> state(ModelDirectory.Loaded m) {
        return DipVaeWeights.export(m.model);
    }

    private static void assertSameState(Map<String, SafeTensors.Tensor> expected, Map<String, SafeTensors.Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, t) -> assertEquals(t.data, actual.get(name).data, "serving tensor " + name + " changed"));
    }

    @Test
    void fineTuneFromServingWeightsLowersTheLossOnDriftedFrames() throws Exception {
        List<float[]> drifted = TinyModels.frames(TinyModels.DRIFTED, 160);
        List<float[]> train = drifted.subList(0, 120);
        List<float[]> heldOut = drifted.subList(120, 160);
        List<float[]> reference = TinyModels.frames(400, 40);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            Map<String, SafeTensors.Tensor> before = state(serving);
            try (FineTuneResult tuned = tuner().optSteps(30).optLearningRate(1e-3f).build().fineTune(serving.model, train)) {
                assertEquals(30, tuned.stepsRun());
                assertFalse(tuned.diverged());
                // one batch's train-mode loss is too noisy to compare (batch of 16, DIP covariance): the gate's eval mse is the measure
                assertTrue(Double.isFinite(tuned.firstLoss().total) && Double.isFinite(tuned.lastLoss().total));
                GateDecision d = GATE.evaluate(serving.model, serving.metadata, tuned, heldOut, reference);
                System.out.printf("drifted held-out eval mse: serving %.5f, fine-tuned %.5f; reference %.5f -> %.5f%n",
                        d.heldOutLossBefore(), d.heldOutLossAfter(), d.referenceLossBefore(), d.referenceLossAfter());
                assertTrue(d.heldOutLossAfter() < 0.9 * d.heldOutLossBefore(), d.reason());
                assertTrue(d.accepted(), d.reason());
                assertTrue(d.reason().startsWith("held-out eval_mse "), d.reason());
                assertTrue(Double.isFinite(d.threshold()) && d.threshold() > 0, "threshold " + d.threshold());
                assertEquals(d.threshold(), d.calibration().get("threshold").getAsDouble());
                assertEquals("mse", d.calibration().get("score").getAsString());
                assertEquals(40, d.calibration().get("frames").getAsInt());
                assertEquals(0.01, d.calibration().get("false_alarm_rate").getAsDouble(), 1e-9, "the serving model's rate (quantile 0.99)");
            }
            assertSameState(before, state(serving));
        }
    }

    @Test
    void aLearningRateThatBlowsUpIsRefusedAndTheServingModelIsUntouched() throws Exception {
        Path dir = TinyModels.servingModel();
        byte[] weightsOnDisk = Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS));
        List<float[]> frames = TinyModels.frames(TinyModels.DRIFTED, 100);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(dir, manager);
            Map<String, SafeTensors.Tensor> before = state(serving);
            try (FineTuneResult tuned = tuner().optSteps(4).optLearningRate(1e30f).build().fineTune(serving.model, frames.subList(0, 50))) {
                GateDecision d = GATE.evaluate(serving.model, serving.metadata, tuned, frames.subList(50, 100), TinyModels.frames(400, 10));
                assertFalse(d.accepted());
                assertTrue(d.reason().startsWith("fine-tune diverged: step ") || d.reason().startsWith("candidate weight '")
                        || d.reason().startsWith("candidate's validation eval_mse is not finite"), d.reason());
                assertTrue(Double.isNaN(d.threshold()));
                assertNull(d.calibration());
                ModelRegistry registry = ModelRegistry.builder().setRoot(tmp.resolve("registry")).build();
                registry.adopt(dir);
                ModelUpdate update = d.apply(registry, tuned.candidate(), serving.metadata, tuned.summary());
                assertFalse(update.accepted());
                assertEquals(d.reason(), update.reason());
                assertNull(update.version());
                assertEquals(1L, update.parentVersion());
                assertNull(update.valLossAfter(), "a loss that is not finite is written as null");
                assertEquals(List.of(1L), registry.versions(), "nothing registered");
                assertEquals(1, registry.serving().orElseThrow().version());
            }
            assertSameState(before, state(serving));
        }
        assertArrayEquals(weightsOnDisk, Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS)));
    }

    @Test
    void aNanFrameInTheReservoirIsRefusedByTheGateWithItsReason() throws Exception {
        NormalFrameReservoir reservoir = NormalFrameReservoir.builder().setFrameValues(TinyModels.CONFIG.frameValues())
                .optCapacity(16).optHeldOutCapacity(50).optHeldOutEvery(2).optSeed(1).build();
        List<float[]> frames = new ArrayList<>(TinyModels.frames(TinyModels.DRIFTED, 80));
        float[] broken = new float[TinyModels.CONFIG.frameValues()];
        Arrays.fill(broken, Float.NaN);
        frames.set(10, broken); // a training-stream frame (even offers go to training)
        frames.forEach(reservoir::offer);
        assertEquals(16, reservoir.trainingSize());
        assertTrue(reservoir.trainingFrames().stream().anyMatch(f -> Float.isNaN(f[0])), "the NaN frame is in the sample");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            Map<String, SafeTensors.Tensor> before = state(serving);
            // a batch as large as the sample: the NaN frame is in the first batch
            try (FineTuneResult tuned = tuner().optSteps(3).optBatchSize(16).build().fineTune(serving.model, reservoir.trainingFrames())) {
                assertTrue(tuned.diverged());
                assertEquals(1, tuned.stepsRun(), "the run stops at the first loss that is not finite");
                GateDecision d = GATE.evaluate(serving.model, serving.metadata, tuned, reservoir.heldOutFrames(), TinyModels.frames(400, 10));
                assertFalse(d.accepted());
                assertEquals("fine-tune diverged: step 1 of 3 had a loss of NaN", d.reason());
                // the weights check refuses it too, whatever the fine-tuner reported
                GateDecision direct = GATE.evaluate(serving.model, serving.metadata, tuned.candidate(), reservoir.heldOutFrames(),
                        TinyModels.frames(400, 10));
                assertFalse(direct.accepted());
                assertTrue(direct.reason().matches("candidate weight '[a-z_.0-9]+' holds NaN at flat index \\d+ \\(weights must be finite\\)"),
                        direct.reason());
                assertTrue(Double.isFinite(direct.heldOutLossBefore()), "the serving model's loss is still reported");
            }
            assertSameState(before, state(serving));
        }
    }

    /** A cancelled job interrupts its round: the fine-tune stops at its next step instead of running all K. */
    @Test
    void anInterruptedFineTuneStopsBeforeItsNextStep() throws Exception {
        int steps = 20_000;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            FineTuner tuner = tuner().optSteps(steps).build();
            List<float[]> frames = TinyModels.frames(TinyModels.DRIFTED, 40);
            java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread round = new Thread(() -> {
                try (FineTuneResult r = tuner.fineTune(serving.model, frames)) {
                    outcome.set(r.stepsRun() + " steps run");
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            }, "fine-tune-under-test");
            round.setDaemon(true);
            round.start();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (Arrays.stream(round.getStackTrace()).noneMatch(f -> f.getClassName().equals(DipVaeTrainer.class.getName()))) {
                assertTrue(System.nanoTime() < deadline && round.isAlive(), "the fine-tune never reached a step: " + outcome.get());
                Thread.sleep(5);
            }
            round.interrupt();
            round.join(10_000);
            assertFalse(round.isAlive(), "still fine-tuning 10 s after the interrupt");
            Object o = outcome.get();
            assertTrue(o instanceof java.util.concurrent.CancellationException, "outcome: " + o);
            String m = ((Exception) o).getMessage();
            assertTrue(m.matches("fine-tune interrupted after \\d+ of " + steps + " steps"), m);
            assertSameState(state(ModelDirectory.read(TinyModels.servingModel(), manager)), state(serving));
        }
    }

    @Test
    void badOptionsAndFramesAreRefusedWithTheirName() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optBatchSize(1).build());
        assertTrue(e.getMessage().startsWith("fine-tune batch size must be at least 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optLearningRate(Float.NaN).build());
        assertTrue(e.getMessage().startsWith("fine-tune learning rate must be positive and finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FineTuner.builder().optDevice("tpu").build());
        assertEquals("device must be auto, cpu, gpu or gpu:N, got tpu", e.getMessage());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded serving = ModelDirectory.read(TinyModels.servingModel(), manager);
            FineTuner t = tuner().build();
            e = assertThrows(IllegalArgumentException.class, () -> t.fineTune(serving.model, List.of(new float[1024])));
            assertEquals("fine-tuning needs at least 2 frames (a DIP batch), got 1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.fineTune(serving.model, List.of(new float[1024], new float[3])));
            assertEquals("frame 1 has 3 values, the model takes 1024", e.getMessage());
        }
    }
}

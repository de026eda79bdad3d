package io.latentwatch.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.model.ModelMetadata;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.training.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the fine-tuner operator will call: a round from reservoir to registry, every outcome an update. */
class FineTuneRoundTest {

    @TempDir Path tmp;

    @Test
    void aRoundRegistersAnAcceptedCandidateAndRefusesTheRestWithTheirReasons() throws Exception {
        ModelRegistry registry = ModelRegistry.builder().setRoot(tmp.resolve("registry")).build();
        registry.adopt(TinyModels.servingModel());
        registry.writeReferenceFrames(TinyModels.frames(400, 40));
        List<float[]> reference = registry.referenceFrames().orElseThrow();
        NormalFrameReservoir reservoir = NormalFrameReservoir.builder().setFrameValues(TinyModels.CONFIG.frameValues()).optCapacity(120)
                .optHeldOutCapacity(40).optHeldOutEvery(4).optSeed(2).build();
        TinyModels.frames(TinyModels.DRIFTED, 160).forEach(reservoir::offer);
        ValidationGate gate = ValidationGate.builder().optDevice("cpu").optMinHeldOutFrames(40).optReferenceTolerance(0.25).build();
        FineTuner tuner = FineTuner.builder().optDevice("cpu").optSteps(30).optBatchSize(16).optLearningRate(1e-3f).optSeed(3).build();

        ModelUpdate accepted = new FineTuneRound(registry, tuner, gate).run(reservoir.trainingFrames(), reservoir.heldOutFrames(), reference);
        assertTrue(accepted.accepted(), accepted.reason());
        assertEquals(2L, accepted.version());
        assertEquals(1L, accepted.parentVersion());
        assertTrue(accepted.valLossAfter() < accepted.valLossBefore(), accepted.toJson());
        ModelMetadata v2 = registry.serving().orElseThrow().metadata();
        assertEquals(2, v2.version());
        assertEquals("latentwatch fine-tune", v2.training().get("source").getAsString());
        assertEquals(30, v2.training().get("steps").getAsInt());
        assertTrue(v2.threshold() > 0);

        FineTuner blowUp = FineTuner.builder().optDevice("cpu").optSteps(3).optBatchSize(16).optLearningRate(1e30f).build();
        ModelUpdate rejected = new FineTuneRound(registry, blowUp, gate).run(reservoir.trainingFrames(), reservoir.heldOutFrames(), reference);
        assertFalse(rejected.accepted());
        assertEquals(2L, rejected.parentVersion());
        assertNull(rejected.version());
        assertEquals(2, registry.serving().orElseThrow().version(), "the serving version stays");

        ModelUpdate few = new FineTuneRound(registry, tuner, gate).run(reservoir.trainingFrames(), reservoir.heldOutFrames().subList(0, 5), reference);
        assertEquals("skipped: 120 training, 5 held-out and 40 reference frames; a round needs 2, 40 and 1", few.reason());

        registry.pin(1);
        ModelUpdate pinned = new FineTuneRound(registry, tuner, gate).run(reservoir.trainingFrames(), reservoir.heldOutFrames(), reference);
        assertFalse(pinned.accepted());
        assertEquals("skipped: registry is pinned to version 1", pinned.reason());
        assertEquals(List.of(1L, 2L), registry.versions());
    }
}

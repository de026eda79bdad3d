package io.latentwatch.pipeline;

import static io.latentwatch.pipeline.ScoringJobChecks.check;

import io.latentwatch.model.ModelMetadata;
import io.latentwatch.training.Calibrator;
import io.latentwatch.tuning.FineTuneSettings;
import io.latentwatch.tuning.FineTuner;
import io.latentwatch.tuning.NormalFrameReservoir;
import io.latentwatch.tuning.ValidationGate;
import org.apache.flink.configuration.Configuration;

/** The fine-tuner's settings from the {@code latentwatch.tuning.*} options. */
final class FineTuneSettingsFactory {

    private FineTuneSettingsFactory() {}

    /**
     * The settings of the side pipeline.
     *
     * @throws IllegalArgumentException naming the option and its rule ({@code latentwatch.tuning.*} for the engines' own)
     */
    static FineTuneSettings of(Configuration o, ModelMetadata model) {
        String registry = o.get(ScoringJobOptions.TUNING_REGISTRY);
        check(registry != null && !registry.isBlank(), "%s=true needs %s (a shared registry directory)", ScoringJobOptions.TUNING_ENABLED.key(),
                ScoringJobOptions.TUNING_REGISTRY.key());
        double rate = o.get(ScoringJobOptions.TUNING_SAMPLE_RATE);
        check(rate > 0 && rate <= 1, "%s must be in (0, 1], got %s", ScoringJobOptions.TUNING_SAMPLE_RATE.key(), rate);
        try {
            FineTuner tuner = FineTuner.builder()
                    .optSteps(o.get(ScoringJobOptions.TUNING_STEPS))
                    .optBatchSize(o.get(ScoringJobOptions.TUNING_BATCH_SIZE))
                    .optLearningRate(o.get(ScoringJobOptions.TUNING_LEARNING_RATE).floatValue())
                    .optDevice(o.get(ScoringJobOptions.TUNING_DEVICE))
                    .build();
            ValidationGate.Builder gate = ValidationGate.builder()
                    .optTolerance(o.get(ScoringJobOptions.TUNING_GATE_TOLERANCE))
                    .optMinHeldOutFrames(o.get(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT))
                    .optDevice(o.get(ScoringJobOptions.TUNING_DEVICE))
                    .optRecalibrator(Calibrator.recalibrator()); // refits latent scores' statistics too
            o.getOptional(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE).ifPresent(gate::optReferenceTolerance);
            NormalFrameReservoir.Builder reservoir = NormalFrameReservoir.builder()
                    .setFrameValues(model.config().frameValues())
                    .optCapacity(o.get(ScoringJobOptions.TUNING_RESERVOIR_CAPACITY))
                    .optHeldOutCapacity(o.get(ScoringJobOptions.TUNING_HELD_OUT_CAPACITY))
                    .optHeldOutEvery(o.get(ScoringJobOptions.TUNING_HELD_OUT_EVERY));
            o.getOptional(ScoringJobOptions.TUNING_HORIZON).ifPresent(reservoir::optHorizon);
            return FineTuneSettings.builder()
                    .setRegistry(registry)
                    .setTuner(tuner)
                    .setGate(gate.build())
                    .setReservoir(reservoir.build())
                    .optKeepLast(o.get(ScoringJobOptions.TUNING_KEEP_LAST))
                    .optInterval(o.get(ScoringJobOptions.TUNING_INTERVAL))
                    .optFrames(o.get(ScoringJobOptions.TUNING_FRAMES))
                    .optReferenceFrames(o.get(ScoringJobOptions.TUNING_REFERENCE_FRAMES))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("latentwatch.tuning.*: " + e.getMessage(), e);
        }
    }
}

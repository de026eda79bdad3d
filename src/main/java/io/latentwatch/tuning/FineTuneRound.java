package io.latentwatch.tuning;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.scoring.BatchScorer;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round of the side pipeline, from frames to a decision: read the registry's serving version, fine-tune a copy
 * of it on the reservoir's training part, let the gate judge it on the held-out part and the reference set, and
 * register it if accepted. What the fine-tuner operator calls every T minutes or N frames; it never throws for what
 * can go wrong in a round (too few frames, a pinned registry, a refused serving version, a diverged or regressed
 * candidate, a failed write, an engine error): every outcome is a {@link ModelUpdate}, accepted or rejected with its
 * reason. Immutable; rounds must not overlap (the registry refuses a candidate whose parent is no longer served).
 */
public final class FineTuneRound {

    private static final Logger LOG = LoggerFactory.getLogger(FineTuneRound.class);

    private final ModelRegistry registry;
    private final FineTuner tuner;
    private final ValidationGate gate;

    public FineTuneRound(ModelRegistry registry, FineTuner tuner, ValidationGate gate) {
        this.registry = registry;
        this.tuner = tuner;
        this.gate = gate;
    }

    /**
     * Runs one round.
     *
     * @param training the reservoir's training part ({@link NormalFrameReservoir#trainingFrames()})
     * @param heldOut its held-out part ({@link NormalFrameReservoir#heldOutFrames()})
     * @param reference the fixed reference set ({@link ModelRegistry#referenceFrames()})
     */
    public ModelUpdate run(List<float[]> training, List<float[]> heldOut, List<float[]> reference) {
        try {
            return attempt(training, heldOut, reference);
        } catch (Failure e) { // a round that fails is a rejected candidate, never a failed job
            LOG.warn("fine-tune round failed", e.getCause());
            return ModelUpdate.rejected(e.parent, "fine-tune round failed: " + e.getCause(), Double.NaN, Double.NaN, Instant.now());
        }
    }

    /**
     * Runs one round like {@link #run}, but what went wrong outside the gate's and the registry's decisions (an
     * unreadable registry, an engine error, an interrupted fine-tune) is thrown, for a caller that backs off and
     * counts failures apart from rejected candidates.
     *
     * @throws Failure wrapping the cause, with the version the round started from (null if not read yet)
     */
    public ModelUpdate attempt(List<float[]> training, List<float[]> heldOut, List<float[]> reference) throws Failure {
        Long parent = null;
        try {
            OptionalLong pinned = registry.pinned();
            if (pinned.isPresent()) {
                return ModelUpdate.rejected(pinned.getAsLong(), "skipped: registry is pinned to version " + pinned.getAsLong(),
                        Double.NaN, Double.NaN, Instant.now());
            }
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                ModelDirectory.Loaded serving = registry.loadServing(manager);
                parent = serving.metadata.version();
                if (training.size() < 2 || heldOut.size() < gate.minHeldOutFrames() || reference.isEmpty()) {
                    return ModelUpdate.rejected(parent, "skipped: " + training.size() + " training, " + heldOut.size() + " held-out and "
                            + reference.size() + " reference frames; a round needs 2, " + gate.minHeldOutFrames() + " and 1",
                            Double.NaN, Double.NaN, Instant.now());
                }
                try (FineTuneResult tuned = tuner.fineTune(serving.model, training)) {
                    GateDecision decision = gate.evaluate(serving.model, serving.metadata, BatchScorer.mapsOf(serving), tuned, heldOut, reference);
                    ModelUpdate update = decision.apply(registry, tuned.candidate(), serving.metadata, tuned.summary());
                    LOG.info("fine-tune of version {} ({} steps, {} s): {}", parent, tuned.stepsRun(), String.format("%.1f", tuned.seconds()),
                            update.toJson());
                    return update;
                }
            }
        } catch (Exception | Error e) {
            throw new Failure(parent, e);
        }
    }

    /** What made a round fail, and the version it started from. */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        /** The serving version the round started from; null if it failed before reading it. */
        public final Long parent;

        Failure(Long parent, Throwable cause) {
            super(cause.toString(), cause);
            this.parent = parent;
        }
    }
}

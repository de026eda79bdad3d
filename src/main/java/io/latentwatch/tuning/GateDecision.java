package io.latentwatch.tuning;

import com.google.gson.JsonObject;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.registry.Acceptance;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import java.time.Instant;

/**
 * What the {@link ValidationGate} decided about a candidate, and on what numbers. The losses are the mean eval-mode
 * mse ({@link ValidationGate#METRIC}) of the serving model (before) and the candidate (after) on the held-out frames
 * and on the reference frames; a loss that was not measured, or not finite, is NaN. {@link #apply} carries the decision
 * out: the registry writes an accepted candidate, a refused one is a rejection with the gate's reason.
 *
 * @param accepted whether the candidate may be registered and served
 * @param reason one line: why it was refused, or the numbers it passed on
 * @param threshold the candidate's recalibrated threshold (NaN when refused)
 * @param calibration the candidate's model.json calibration (null when refused)
 */
public record GateDecision(
        boolean accepted,
        String reason,
        double heldOutLossBefore,
        double heldOutLossAfter,
        double referenceLossBefore,
        double referenceLossAfter,
        int heldOutFrames,
        int referenceFrames,
        double threshold,
        JsonObject calibration) {

    public GateDecision {
        calibration = calibration == null ? null : calibration.deepCopy();
    }

    @Override
    public JsonObject calibration() {
        return calibration == null ? null : calibration.deepCopy();
    }

    /** The loss that {@code model-updates} reports as val_loss_before: the serving model's held-out loss. */
    public double valLossBefore() {
        return heldOutLossBefore;
    }

    /** The loss that {@code model-updates} reports as val_loss_after: the candidate's held-out loss. */
    public double valLossAfter() {
        return heldOutLossAfter;
    }

    /**
     * Carries the decision out. An accepted candidate is registered as the serving version's successor
     * ({@link ModelRegistry#register}), with the gate's calibration and the fine-tune summary that holds the gate's
     * numbers as its {@code validation}; the registry may still refuse it (pinned, parent no longer served, a failed
     * write). A refused candidate is the rejected {@code model-updates} record with the gate's reason and losses, and
     * nothing is written. Never throws: every outcome is a {@link ModelUpdate}.
     *
     * @param candidate the fine-tuned network the gate judged
     * @param parent the metadata of the serving model it was fine-tuned from
     * @param trainingSummary the fine-tune's summary ({@link FineTuneResult#summary()}), may be null
     */
    public ModelUpdate apply(ModelRegistry registry, DipVae candidate, ModelMetadata parent, JsonObject trainingSummary) {
        if (!accepted) {
            return ModelUpdate.rejected(parent.version(), reason, valLossBefore(), valLossAfter(), Instant.now());
        }
        JsonObject training = trainingSummary == null ? new JsonObject() : trainingSummary.deepCopy();
        training.add("validation", toJson());
        return registry.register(candidate, parent, new Acceptance(calibration, training, reason, valLossBefore(), valLossAfter()));
    }

    /** The numbers as the {@code validation} object of a fine-tuned model's training summary. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("metric", ValidationGate.METRIC);
        o.addProperty("accepted", accepted);
        o.addProperty("reason", reason);
        FineTuneResult.put(o, "held_out_before", heldOutLossBefore);
        FineTuneResult.put(o, "held_out_after", heldOutLossAfter);
        FineTuneResult.put(o, "reference_before", referenceLossBefore);
        FineTuneResult.put(o, "reference_after", referenceLossAfter);
        o.addProperty("held_out_frames", heldOutFrames);
        o.addProperty("reference_frames", referenceFrames);
        return o;
    }
}

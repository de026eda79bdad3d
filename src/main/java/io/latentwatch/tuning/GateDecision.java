package io.latentwatch.tuning;

import com.google.gson.JsonObject;

/**
 * What the {@link ValidationGate} decided about a candidate, and on what numbers. The losses are the mean eval-mode
 * mse ({@link ValidationGate#METRIC}) of the serving model (before) and the candidate (after) on the held-out frames
 * and on the reference frames; a loss that was not measured, or not finite, is NaN.
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

package io.latentwatch.registry;

import com.google.gson.JsonObject;

/**
 * What a candidate that was judged fit to serve brings to {@link ModelRegistry#register}: its model.json
 * {@code calibration} and {@code training} objects, and what its {@code model-updates} record reports. Whoever judged
 * it (the fine-tuner's validation gate) builds it; the registry only writes it, and knows nothing of how it was judged.
 *
 * @param calibration the candidate's model.json calibration (score, threshold, ...)
 * @param training the candidate's model.json training summary as written, with the judge's numbers in it; may be null
 * @param reason one line for the record: the numbers it passed on
 * @param valLossBefore the record's val_loss_before (the serving model's validation loss; NaN if not measured)
 * @param valLossAfter the record's val_loss_after (the candidate's validation loss; NaN if not measured)
 */
public record Acceptance(JsonObject calibration, JsonObject training, String reason, double valLossBefore, double valLossAfter) {

    public Acceptance {
        calibration = calibration == null ? null : calibration.deepCopy();
        training = training == null ? null : training.deepCopy();
    }

    @Override
    public JsonObject calibration() {
        return calibration == null ? null : calibration.deepCopy();
    }

    @Override
    public JsonObject training() {
        return training == null ? null : training.deepCopy();
    }
}

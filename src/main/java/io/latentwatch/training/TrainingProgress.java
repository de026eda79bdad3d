package io.latentwatch.training;

/**
 * Where a training run stands: epoch and step (both 1-based), the epoch's mean loss terms so far (DESIGN.md, DIP
 * loss: recons is the per-frame sum of squared errors, kld the per-frame KL divergence, offDiagonal and diagonal
 * the unweighted DIP sums, total the weighted loss), the learning rate of the last step and the throughput.
 *
 * @param validationMse mean per-pixel mse of the validation frames in eval mode; NaN except at the end of an epoch
 */
public record TrainingProgress(
        int epoch,
        int epochs,
        int step,
        int stepsPerEpoch,
        double recons,
        double kld,
        double offDiagonal,
        double diagonal,
        double total,
        double learningRate,
        double framesPerSecond,
        double elapsedSeconds,
        double validationMse) {

    /** Fraction of the whole run done, 0 to 1. */
    public double fractionDone() {
        return ((epoch - 1) + (double) step / stepsPerEpoch) / epochs;
    }
}

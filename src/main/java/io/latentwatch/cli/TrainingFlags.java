package io.latentwatch.cli;

import io.latentwatch.model.DipType;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.training.TrainingOptions;
import picocli.CommandLine.Option;

/**
 * The training flags that {@code train} and {@code benchmark quality} share: the network's widths and loss weights and
 * the trainer's settings. No defaults here: the command's {@link TrainingDefaults} reads them from the builders.
 */
final class TrainingFlags {

    @Option(names = "--epochs", description = "passes over the training images (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", description = "images per Adam step, >= 2 (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--learning-rate", description = "Adam's first learning rate, decayed by a cosine schedule to 1 %% of it (default: ${DEFAULT-VALUE})")
    float learningRate;

    @Option(names = "--latent-dim", description = "latent dimensions (default: ${DEFAULT-VALUE})")
    int latentDim;

    @Option(names = "--hidden-dims", split = ",", description = "encoder widths, each layer halves the image (default: ${DEFAULT-VALUE})")
    int[] hiddenDims;

    @Option(names = "--dip-type", description = "i | ii (default: ${DEFAULT-VALUE})")
    String dipType;

    @Option(names = "--kld-weight", description = "weight of the KL term (default: ${DEFAULT-VALUE})")
    float kldWeight;

    @Option(names = "--lambda-diag", description = "DIP weight of the diagonal (default: ${DEFAULT-VALUE})")
    float lambdaDiag;

    @Option(names = "--lambda-offdiag", description = "DIP weight of the off-diagonal (default: ${DEFAULT-VALUE})")
    float lambdaOffdiag;

    @Option(names = "--seed", description = "seed of initialisation, shuffling and split (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--validation-split", description = "fraction of the training images held out to calibrate on, in (0, 0.9] (default: ${DEFAULT-VALUE})")
    double validationSplit;

    @Option(names = "--score", description = "anomaly score calibrated: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
            completionCandidates = ScoreNames.class)
    String score;

    @Option(names = "--anomaly-map", description = "per-pixel error map calibrated with the model: l2 | ssim | none (default: ${DEFAULT-VALUE})")
    String anomalyMap;

    @Option(names = "--map-sigma", description = "the map's Gaussian smoothing in pixels (default: ${DEFAULT-VALUE})")
    double mapSigma;

    @Option(names = "--map-top-k", description = "share of a map's pixels whose mean is the map-topk score (default: ${DEFAULT-VALUE})")
    double mapTopK;

    /** The score names, for --score's help. */
    static final class ScoreNames extends java.util.ArrayList<String> {
        ScoreNames() {
            super(io.latentwatch.scoring.AnomalyScore.NAMES);
        }
    }

    /** The network's fields these flags set, on top of {@code model} (whose image size and channels stay). */
    DipVaeConfig.Builder model(DipVaeConfig.Builder model) {
        return model.latentDim(latentDim)
                .hiddenDims(hiddenDims)
                .dipType(DipType.parse(dipType))
                .kldWeight(kldWeight)
                .lambdaDiag(lambdaDiag)
                .lambdaOffdiag(lambdaOffdiag);
    }

    /** The trainer's settings these flags set, on top of {@code training}. */
    TrainingOptions.Builder training(TrainingOptions.Builder training) {
        return training.optEpochs(epochs)
                .optBatchSize(batchSize)
                .optLearningRate(learningRate)
                .optSeed(seed)
                .optValidationFraction(validationSplit)
                .optScoreName(score)
                .optAnomalyMap(anomalyMap)
                .optMapSigma(mapSigma)
                .optMapTopK(mapTopK);
    }
}

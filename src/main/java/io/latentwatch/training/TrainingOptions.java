package io.latentwatch.training;

import io.latentwatch.model.DipType;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.scoring.AnomalyScore;
import java.util.Arrays;
import java.util.Locale;

/**
 * Settings of a training run ({@link ModelTrainer}): the network's shape and loss weights, the optimiser's
 * schedule, the validation split and the calibration target. Immutable; made by {@link #builder()}, whose
 * {@code build()} checks every value and names the option and the rule in its message.
 *
 * <p>The learning rate follows a cosine schedule from {@link #learningRate()} down to {@value #FINAL_LR_FACTOR}
 * of it at the last step (Adam, no weight decay).
 */
public final class TrainingOptions {

    /** The learning rate at the last step, as a fraction of the first. */
    public static final float FINAL_LR_FACTOR = 0.01f;

    private final int epochs;
    private final int batchSize;
    private final float learningRate;
    private final int imageSize;
    private final int channels;
    private final int latentDim;
    private final int[] hiddenDims;
    private final float kldWeight;
    private final float lambdaDiag;
    private final float lambdaOffdiag;
    private final DipType dipType;
    private final long seed;
    private final String device;
    private final double validationFraction;
    private final double falseAlarmRate;
    private final String scoreName;
    private final String dataSpec;
    private final boolean writeImages;

    private TrainingOptions(Builder b) {
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.imageSize = b.imageSize;
        this.channels = b.channels;
        this.latentDim = b.latentDim;
        this.hiddenDims = b.hiddenDims.clone();
        this.kldWeight = b.kldWeight;
        this.lambdaDiag = b.lambdaDiag;
        this.lambdaOffdiag = b.lambdaOffdiag;
        this.dipType = b.dipType;
        this.seed = b.seed;
        this.device = b.device;
        this.validationFraction = b.validationFraction;
        this.falseAlarmRate = b.falseAlarmRate;
        this.scoreName = b.scoreName;
        this.dataSpec = b.dataSpec;
        this.writeImages = b.writeImages;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Passes over the training frames. */
    public int epochs() {
        return epochs;
    }

    /** Frames per optimiser step (the DIP covariance is taken over the batch). */
    public int batchSize() {
        return batchSize;
    }

    /** Adam's first learning rate; the schedule decays it to {@value #FINAL_LR_FACTOR} of that. */
    public float learningRate() {
        return learningRate;
    }

    /** Side of the model's input in pixels; 0 = from the dataset (see {@link #resolveConfig(int, int)}). */
    public int imageSize() {
        return imageSize;
    }

    /** 1 (luma) or 3 (RGB); 0 = the dataset's. */
    public int channels() {
        return channels;
    }

    public int latentDim() {
        return latentDim;
    }

    public int[] hiddenDims() {
        return hiddenDims.clone();
    }

    public float kldWeight() {
        return kldWeight;
    }

    public float lambdaDiag() {
        return lambdaDiag;
    }

    public float lambdaOffdiag() {
        return lambdaOffdiag;
    }

    public DipType dipType() {
        return dipType;
    }

    /** Seeds the weights' initialisation, the shuffling, the validation split and the reparameterisation noise. */
    public long seed() {
        return seed;
    }

    /** "auto", "cpu", "gpu" or "gpu:N" (see {@link io.latentwatch.model.Devices#resolve}). */
    public String device() {
        return device;
    }

    /** Fraction of a single dataset held out for validation and calibration (when no validation set is given). */
    public double validationFraction() {
        return validationFraction;
    }

    /** The calibration target: the fraction of normal frames allowed above the threshold. */
    public double falseAlarmRate() {
        return falseAlarmRate;
    }

    /** The anomaly score to calibrate, one of {@link AnomalyScore#NAMES}. */
    public String scoreName() {
        return scoreName;
    }

    /** The dataset as the user named it, for the training summary; null if not named. */
    public String dataSpec() {
        return dataSpec;
    }

    /** Whether reconstructions.png and samples.png are written next to the model. */
    public boolean writeImages() {
        return writeImages;
    }

    /**
     * The network's config for a dataset.
     *
     * @param datasetChannels the dataset's channels (1 or 3), used when {@link #channels()} is 0
     * @param datasetImageSize the dataset's image side, 0 if mixed; with {@link #imageSize()} 0 the model takes the
     *     smallest multiple of 2^len(hidden_dims) at least that large (28 → 32 for three hidden layers), or 64 for
     *     mixed sizes
     * @throws IllegalArgumentException if the shape is invalid (the message names the field and the rule)
     */
    public DipVaeConfig resolveConfig(int datasetChannels, int datasetImageSize) {
        int stride = 1 << hiddenDims.length;
        int size = imageSize;
        if (size == 0) {
            int base = datasetImageSize > 0 ? datasetImageSize : 64;
            size = Math.max(stride, (base + stride - 1) / stride * stride);
        }
        return DipVaeConfig.builder()
                .inChannels(channels == 0 ? datasetChannels : channels)
                .imageSize(size)
                .latentDim(latentDim)
                .hiddenDims(hiddenDims)
                .kldWeight(kldWeight)
                .lambdaDiag(lambdaDiag)
                .lambdaOffdiag(lambdaOffdiag)
                .dipType(dipType)
                .build();
    }

    /** A builder holding these options, to change one or two. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.batchSize = batchSize;
        b.learningRate = learningRate;
        b.imageSize = imageSize;
        b.channels = channels;
        b.latentDim = latentDim;
        b.hiddenDims = hiddenDims.clone();
        b.kldWeight = kldWeight;
        b.lambdaDiag = lambdaDiag;
        b.lambdaOffdiag = lambdaOffdiag;
        b.dipType = dipType;
        b.seed = seed;
        b.device = device;
        b.validationFraction = validationFraction;
        b.falseAlarmRate = falseAlarmRate;
        b.scoreName = scoreName;
        b.dataSpec = dataSpec;
        b.writeImages = writeImages;
        return b;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "epochs=%d batch=%d lr=%s (cosine to x%s) image=%s channels=%s latent=%d hidden=%s dip=%s kld=%s "
                        + "lambda_diag=%s lambda_offdiag=%s seed=%d device=%s validation=%s false_alarm=%s score=%s",
                epochs, batchSize, learningRate, FINAL_LR_FACTOR, imageSize == 0 ? "auto" : imageSize,
                channels == 0 ? "auto" : channels, latentDim, Arrays.toString(hiddenDims), dipType.jsonName(), kldWeight,
                lambdaDiag, lambdaOffdiag, seed, device, validationFraction, falseAlarmRate, scoreName);
    }

    /** Every option has a default; {@code builder().build()} is a valid set. */
    public static final class Builder {
        private int epochs = 20;
        private int batchSize = 64;
        private float learningRate = 1e-3f;
        private int imageSize = 0;
        private int channels = 0;
        private int latentDim = 32;
        private int[] hiddenDims = {32, 64, 128};
        private float kldWeight = DipVaeConfig.defaults().kldWeight();
        private float lambdaDiag = DipVaeConfig.defaults().lambdaDiag();
        private float lambdaOffdiag = DipVaeConfig.defaults().lambdaOffdiag();
        private DipType dipType = DipVaeConfig.defaults().dipType();
        private long seed = 1;
        private String device = "auto";
        private double validationFraction = 0.1;
        private double falseAlarmRate = 0.01;
        private String scoreName = AnomalyScore.DEFAULT;
        private String dataSpec;
        private boolean writeImages = true;

        private Builder() {}

        /** Passes over the training frames (default 20). */
        public Builder optEpochs(int v) {
            epochs = v;
            return this;
        }

        /** Frames per step, at least 2 (default 64). */
        public Builder optBatchSize(int v) {
            batchSize = v;
            return this;
        }

        /** Adam's first learning rate (default 1e-3). */
        public Builder optLearningRate(float v) {
            learningRate = v;
            return this;
        }

        /** Input side in pixels; 0 = from the dataset (default). */
        public Builder optImageSize(int v) {
            imageSize = v;
            return this;
        }

        /** 1 or 3; 0 = the dataset's (default). */
        public Builder optChannels(int v) {
            channels = v;
            return this;
        }

        /** Latent dimensions (default 32). */
        public Builder optLatentDim(int v) {
            latentDim = v;
            return this;
        }

        /** Encoder widths, each layer halving the image (default 32, 64, 128). */
        public Builder optHiddenDims(int... v) {
            hiddenDims = v.clone();
            return this;
        }

        /** Weight of the KL term (default 0.005). */
        public Builder optKldWeight(float v) {
            kldWeight = v;
            return this;
        }

        /** λ_diag of the DIP term (default 10). */
        public Builder optLambdaDiag(float v) {
            lambdaDiag = v;
            return this;
        }

        /** λ_offdiag of the DIP term (default 5). */
        public Builder optLambdaOffdiag(float v) {
            lambdaOffdiag = v;
            return this;
        }

        /** DIP-I or DIP-II (default II). */
        public Builder optDipType(DipType v) {
            dipType = v;
            return this;
        }

        /** Seed of every random choice (default 1). */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /** auto | cpu | gpu | gpu:N (default auto). */
        public Builder optDevice(String v) {
            device = v;
            return this;
        }

        /** Fraction held out of a single dataset, in (0, 0.9] (default 0.1). */
        public Builder optValidationFraction(double v) {
            validationFraction = v;
            return this;
        }

        /** Target false-alarm rate of the threshold, in (0, 0.5] (default 0.01). */
        public Builder optFalseAlarmRate(double v) {
            falseAlarmRate = v;
            return this;
        }

        /** The score to calibrate (default {@value AnomalyScore#DEFAULT}). */
        public Builder optScoreName(String v) {
            scoreName = v;
            return this;
        }

        /** The dataset as named by the user, recorded in the training summary. */
        public Builder optDataSpec(String v) {
            dataSpec = v;
            return this;
        }

        /** Whether to write reconstructions.png and samples.png (default true). */
        public Builder optWriteImages(boolean v) {
            writeImages = v;
            return this;
        }

        /** @throws IllegalArgumentException naming the first option that breaks its rule */
        public TrainingOptions build() {
            check(epochs >= 1, "epochs must be at least 1, got %d", epochs);
            check(batchSize >= 2, "batch size must be at least 2 (the DIP term needs a covariance), got %d", batchSize);
            check(learningRate > 0 && Float.isFinite(learningRate), "learning rate must be positive, got %s", learningRate);
            check(imageSize >= 0, "image size must be positive (or 0 for the dataset's), got %d", imageSize);
            check(channels == 0 || channels == 1 || channels == 3, "channels must be 1, 3 (or 0 for the dataset's), got %d", channels);
            check(latentDim >= 1, "latent dim must be at least 1, got %d", latentDim);
            check(hiddenDims.length >= 1, "hidden dims must name at least one layer");
            for (int h : hiddenDims) {
                check(h >= 1, "hidden dims must be positive, got %s", Arrays.toString(hiddenDims));
            }
            check(kldWeight >= 0 && Float.isFinite(kldWeight), "kld weight must be finite and >= 0, got %s", kldWeight);
            check(lambdaDiag >= 0 && Float.isFinite(lambdaDiag), "lambda diag must be finite and >= 0, got %s", lambdaDiag);
            check(lambdaOffdiag >= 0 && Float.isFinite(lambdaOffdiag), "lambda offdiag must be finite and >= 0, got %s", lambdaOffdiag);
            check(dipType != null, "dip type must be i or ii");
            check(device != null && !device.isBlank(), "device must be auto, cpu, gpu or gpu:N");
            check(validationFraction > 0 && validationFraction <= 0.9,
                    "validation fraction must be in (0, 0.9], got %s", validationFraction);
            check(falseAlarmRate > 0 && falseAlarmRate <= 0.5, "false-alarm rate must be in (0, 0.5], got %s", falseAlarmRate);
            AnomalyScore.checkName(scoreName);
            if (imageSize > 0) {
                int stride = 1 << hiddenDims.length;
                check(imageSize % stride == 0, "image size %d must be a multiple of 2^len(hidden dims) = %d", imageSize, stride);
            }
            return new TrainingOptions(this);
        }

        private static void check(boolean ok, String format, Object... args) {
            if (!ok) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, format, args));
            }
        }
    }
}

package io.latentwatch.training;

import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ReconstructionMap;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.MapCalibration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of a training run ({@link ModelTrainer}): the network ({@link DipVaeConfig}, whose builder checks its
 * shape and loss weights), how its input is fitted to the dataset, the optimiser's schedule, the validation split
 * and the calibration target. Immutable; made by {@link #builder()}, whose {@code build()} checks the training
 * settings and names the option and the rule in its message.
 *
 * <p>The learning rate follows a cosine schedule from {@link #learningRate()} down to {@value #FINAL_LR_FACTOR}
 * of it at the last step (Adam, no weight decay).
 */
public final class TrainingOptions {

    /** The learning rate at the last step, as a fraction of the first. */
    public static final float FINAL_LR_FACTOR = 0.01f;

    /**
     * The network trained unless told otherwise: latent 32, hidden 32, 64, 128, PyTorch-VAE's loss weights and
     * DIP-II. Its 3 channels and 64 × 64 input stand in until {@link #resolveConfig} fits them to the dataset; 64 is
     * also the side taken for a folder of mixed sizes.
     */
    /**
     * The network unless told otherwise: hidden dims 32, 64, 128 and latent 128 (on the 64 × 64 synthetic camera a
     * latent of 128 reconstructs with half the mse of 32 after the same training, and sees small defects far better:
     * docs/training.md).
     */
    public static final DipVaeConfig DEFAULT_MODEL = DipVaeConfig.builder().latentDim(128).hiddenDims(32, 64, 128).build();

    private final int epochs;
    private final int batchSize;
    private final float learningRate;
    private final DipVaeConfig model;
    private final boolean imageSizeFromData;
    private final boolean channelsFromData;
    private final long seed;
    private final String device;
    private final double validationFraction;
    private final double falseAlarmRate;
    private final String scoreName;
    private final String dataSpec;
    private final boolean writeImages;
    private final String anomalyMap;
    private final double mapSigma;
    private final double mapTopK;

    private TrainingOptions(Builder b) {
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.model = b.model;
        this.imageSizeFromData = b.imageSizeFromData;
        this.channelsFromData = b.channelsFromData;
        this.seed = b.seed;
        this.device = b.device;
        this.validationFraction = b.validationFraction;
        this.falseAlarmRate = b.falseAlarmRate;
        this.scoreName = b.scoreName;
        this.dataSpec = b.dataSpec;
        this.writeImages = b.writeImages;
        this.anomalyMap = b.anomalyMap;
        this.mapSigma = b.mapSigma;
        this.mapTopK = b.mapTopK;
    }

    /** The anomaly map to calibrate: l2, ssim, or none. */
    public String anomalyMap() {
        return anomalyMap;
    }

    /** The map's smoothing Gaussian in pixels. */
    public double mapSigma() {
        return mapSigma;
    }

    /** The share of a map's pixels whose mean is the map-topk score. */
    public double mapTopK() {
        return mapTopK;
    }

    /** The maps to calibrate, uncalibrated; null for {@code none}. */
    public MapCalibration maps() {
        if (NO_MAP.equals(anomalyMap)) {
            return null;
        }
        return MapCalibration.uncalibrated(new ReconstructionMap(ReconstructionMap.Kind.fromLabel(anomalyMap), mapSigma), mapTopK);
    }

    /** {@link Builder#optAnomalyMap}'s value for no maps. */
    public static final String NO_MAP = "none";

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

    /**
     * The network; where {@link #imageSizeFromData()} or {@link #channelsFromData()} holds, its image_size or
     * in_channels only stand in until {@link #resolveConfig} fits them to the dataset.
     */
    public DipVaeConfig model() {
        return model;
    }

    /** Whether the model's input side is the dataset's, rounded up to what the model takes (see {@link #resolveConfig}). */
    public boolean imageSizeFromData() {
        return imageSizeFromData;
    }

    /** Whether the model's channels are the dataset's (1 if every image is gray, else 3). */
    public boolean channelsFromData() {
        return channelsFromData;
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
     * The network's config for a dataset: {@link #model()}, with the dataset's channels and side where the options
     * take them from the data.
     *
     * @param datasetChannels the dataset's channels (1 or 3)
     * @param datasetImageSize the dataset's image side, 0 if mixed; the model takes the smallest size at least that
     *     large that it can ({@link DipVaeConfig#imageSizeFor}: 28 → 32 for three hidden layers), or its own
     *     image_size rounded so for mixed sizes
     * @throws IllegalArgumentException if the dataset's channels are neither 1 nor 3
     */
    public DipVaeConfig resolveConfig(int datasetChannels, int datasetImageSize) {
        if (!imageSizeFromData && !channelsFromData) {
            return model;
        }
        DipVaeConfig.Builder b = model.toBuilder();
        if (channelsFromData) {
            b.inChannels(datasetChannels);
        }
        if (imageSizeFromData) {
            int side = datasetImageSize > 0 ? datasetImageSize : model.imageSize();
            b.imageSize(DipVaeConfig.imageSizeFor(side, model.hiddenDims().length));
        }
        return b.build();
    }

    /** A builder holding these options, to change one or two. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.batchSize = batchSize;
        b.learningRate = learningRate;
        b.model = model;
        b.imageSizeFromData = imageSizeFromData;
        b.channelsFromData = channelsFromData;
        b.seed = seed;
        b.device = device;
        b.validationFraction = validationFraction;
        b.falseAlarmRate = falseAlarmRate;
        b.scoreName = scoreName;
        b.dataSpec = dataSpec;
        b.writeImages = writeImages;
        b.anomalyMap = anomalyMap;
        b.mapSigma = mapSigma;
        b.mapTopK = mapTopK;
        return b;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "epochs=%d batch=%d lr=%s (cosine to x%s) image=%s channels=%s latent=%d hidden=%s dip=%s kld=%s "
                        + "lambda_diag=%s lambda_offdiag=%s seed=%d device=%s validation=%s false_alarm=%s score=%s map=%s sigma=%s top_k=%s",
                epochs, batchSize, learningRate, FINAL_LR_FACTOR, imageSizeFromData ? "auto" : model.imageSize(),
                channelsFromData ? "auto" : model.inChannels(), model.latentDim(), Arrays.toString(model.hiddenDims()),
                model.dipType().jsonName(), model.kldWeight(), model.lambdaDiag(), model.lambdaOffdiag(), seed, device,
                validationFraction, falseAlarmRate, scoreName, anomalyMap, mapSigma, mapTopK);
    }

    /** Every option has a default; {@code builder().build()} is a valid set. */
    public static final class Builder {
        private int epochs = 20;
        private int batchSize = 64;
        private float learningRate = 1e-3f;
        private DipVaeConfig model = DEFAULT_MODEL;
        private boolean imageSizeFromData = true;
        private boolean channelsFromData = true;
        private long seed = 1;
        private String device = "auto";
        private double validationFraction = 0.1;
        private double falseAlarmRate = 0.01;
        private String scoreName = AnomalyScore.DEFAULT;
        private String dataSpec;
        private String anomalyMap = ReconstructionMap.Kind.L2.label();
        private double mapSigma = MapCalibration.DEFAULT_SIGMA;
        private double mapTopK = MapCalibration.DEFAULT_TOP_K;

        /** The anomaly map to calibrate: l2 (default), ssim, or none (no maps, no map scores). */
        public Builder optAnomalyMap(String v) {
            anomalyMap = v == null ? null : v.trim().toLowerCase(Locale.ROOT);
            return this;
        }

        /** The map's smoothing Gaussian in pixels, in [0, 64] (default {@value MapCalibration#DEFAULT_SIGMA}). */
        public Builder optMapSigma(double v) {
            mapSigma = v;
            return this;
        }

        /** The share of pixels whose mean is the map-topk score, in (0, 1] (default {@value MapCalibration#DEFAULT_TOP_K}). */
        public Builder optMapTopK(double v) {
            mapTopK = v;
            return this;
        }
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

        /**
         * The network (default {@link #DEFAULT_MODEL}). Its image_size and in_channels are used as they are only
         * where {@link #optImageSizeFromData} and {@link #optChannelsFromData} are turned off (both are on by default).
         */
        public Builder optModel(DipVaeConfig v) {
            model = Objects.requireNonNull(v, "model");
            return this;
        }

        /** Whether the model's input side is fitted to the dataset's (default true). */
        public Builder optImageSizeFromData(boolean v) {
            imageSizeFromData = v;
            return this;
        }

        /** Whether the model's channels are the dataset's (default true). */
        public Builder optChannelsFromData(boolean v) {
            channelsFromData = v;
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

        /**
         * Checks the training settings; the model's were checked when it was built.
         *
         * @throws IllegalArgumentException naming the first option that breaks its rule
         */
        public TrainingOptions build() {
            check(epochs >= 1, "epochs must be at least 1, got %d", epochs);
            check(batchSize >= 2, "batch size must be at least 2 (the DIP term needs a covariance), got %d", batchSize);
            check(learningRate > 0 && Float.isFinite(learningRate), "learning rate must be positive, got %s", learningRate);
            check(device != null && !device.isBlank(), "device must be auto, cpu, gpu or gpu:N");
            check(validationFraction > 0 && validationFraction <= 0.9,
                    "validation fraction must be in (0, 0.9], got %s", validationFraction);
            check(falseAlarmRate > 0 && falseAlarmRate <= 0.5, "false-alarm rate must be in (0, 0.5], got %s", falseAlarmRate);
            AnomalyScore.checkName(scoreName);
            check(NO_MAP.equals(anomalyMap) || "l2".equals(anomalyMap) || "ssim".equals(anomalyMap),
                    "anomaly map must be l2, ssim or none, got %s", anomalyMap);
            check(mapSigma >= 0 && mapSigma <= 64, "anomaly map sigma must be in [0, 64] pixels, got %s", mapSigma);
            check(mapTopK > 0 && mapTopK <= 1, "map top-k share must be in (0, 1], got %s", mapTopK);
            check(!(NO_MAP.equals(anomalyMap) && AnomalyScore.needsMap(scoreName)), "score %s needs an anomaly map (not --anomaly-map none)",
                    scoreName);
            return new TrainingOptions(this);
        }

        private static void check(boolean ok, String format, Object... args) {
            if (!ok) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, format, args));
            }
        }
    }
}

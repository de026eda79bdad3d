package io.latentwatch.training;

import io.latentwatch.data.SyntheticDataset;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The small model of the synthetic camera that {@code latentwatch demo} trains when it is given none, and that the
 * integration tests share: 1 × 32 × 32 grayscale, hidden 16, 32, 64, latent 16, trained by {@link ModelTrainer} on
 * the camera's normal frames 0 to {@value #TRAIN_FRAMES} − 1 and calibrated on {@value #VALIDATION_FRAMES} normal
 * frames from {@value #VALIDATION_START} on (other scenes than the training frames').
 *
 * <p>The settings ({@link #options()}): {@value #EPOCHS} epochs, the mse calibrated, and otherwise the trainer's
 * defaults: batch 64, Adam at 1e-3 (cosine), the threshold at the validation frames' 99th percentile. Measured (camera seed 7, 2
 * shared cores, one OpenMP thread): 40 s; on 2,000 fresh normal frames 1.7 to 2.1 % above the threshold (trainer
 * seeds 1 and 2); of 200 fresh frames of each kind it flags all blank, overexposed and noisy ones, about a third of
 * the missing parts, a tenth of the stains and few scratches and foreign objects. The latent scores are not used
 * here: at 32 × 32 they flag fewer of the small kinds than mse (missing parts 11 % against 36 % on the same network).
 */
public final class SyntheticCameraModel {

    public static final int SIZE = 32;
    public static final int CHANNELS = 1;
    public static final int EPOCHS = 10;
    /** The anomaly map's smoothing: the default's 3 pixels of a 64-pixel frame, scaled to this model's 32. */
    public static final double MAP_SIGMA = 1.5;
    public static final int TRAIN_FRAMES = 3072;
    public static final int VALIDATION_FRAMES = 512;
    /** Validation frames come from far beyond the training frames' indices. */
    public static final long VALIDATION_START = 1_000_000;

    private SyntheticCameraModel() {}

    /** The network. */
    public static DipVaeConfig config() {
        return TrainingOptions.DEFAULT_MODEL.toBuilder().inChannels(CHANNELS).imageSize(SIZE).latentDim(16).hiddenDims(16, 32, 64).build();
    }

    /** A camera of the scene the model is trained on, without anomalies. */
    public static SyntheticCamera.Builder camera(long seed) {
        return SyntheticCamera.builder().seed(seed).imageSize(SIZE).channels(CHANNELS);
    }

    /**
     * The trainer's settings for this model; change the epochs or the device on the builder. Batch 32 at 3e-3 reconstructs better (validation mse 0.016 against 0.018) but
     * follows a lighting drift worse when fine-tuned (FineTuningITCase's drift test: 2.8 % false alarms in a window,
     * against at most 0.9 % with these).
     */
    public static TrainingOptions.Builder options() {
        return TrainingOptions.builder()
                .optEpochs(EPOCHS)
                .optModel(config())
                .optImageSizeFromData(false)
                .optChannelsFromData(false)
                .optScoreName(AnomalyScore.MSE)
                .optMapSigma(MAP_SIGMA)
                .optWriteImages(false);
    }

    /**
     * Trains on the camera of {@code seed} and writes the model directory.
     *
     * @param options usually {@link #options()}, perhaps changed; its data spec is set here
     * @return the metadata as written
     */
    public static ModelMetadata train(Path dir, long seed, TrainingOptions options, ProgressListener progress) throws IOException {
        SyntheticCamera camera = camera(seed).build();
        String spec = "synthetic camera seed " + seed + ", frames 0-" + (TRAIN_FRAMES - 1);
        return ModelTrainer.train(options.toBuilder().optDataSpec(spec).build(), new SyntheticDataset(camera, 0, TRAIN_FRAMES),
                new SyntheticDataset(camera, VALIDATION_START, VALIDATION_FRAMES), dir, progress);
    }
}

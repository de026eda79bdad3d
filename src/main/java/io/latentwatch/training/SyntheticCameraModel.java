package io.latentwatch.training;

import io.latentwatch.data.SyntheticDataset;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Models of the synthetic camera trained by {@link ModelTrainer}: the one {@code latentwatch demo} trains when it is
 * given none ({@link #demoOptions()}), and the small one the integration tests share: 1 × 32 × 32 grayscale, hidden 16, 32, 64, latent 16, trained by {@link ModelTrainer} on
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

    /** Epochs of the demo's model ({@link #demoOptions()}). */
    public static final int DEMO_EPOCHS = 12;
    /**
     * The demo's calibrated false-alarm rate: at 25 frames/s, 1 % would be 15 false alarms a minute, more than the
     * alerts of its 5 % anomalies are true ones; at 0.3 % the demo's frames saw 0.6–0.8 % (precision 0.87–0.90).
     */
    public static final double DEMO_FALSE_ALARM_RATE = 0.001;
    /**
     * How far the demo's parts lie turned, in degrees either way: its line holds them in a fixture. Loose parts (any
     * angle) are a harder scene than two minutes of training on two cores learn: most scratches go unseen.
     */
    public static final double DEMO_MAX_ROTATION = SyntheticCamera.FIXTURE_MAX_ROTATION;
    /** The demo's validation frames: about 3 of them above its threshold. */
    public static final int DEMO_VALIDATION_FRAMES = 3072;

    /**
     * The model {@code latentwatch demo} trains: the camera's own 64 × 64 RGB (at 32 × 32 grayscale scratches and stains
     * are all but gone), a narrow network (hidden 16, 32, 64, latent 32) that trains in about two minutes on 2 cores,
     * small batches (16 at 2e-3: four times the Adam steps of the default 64 for the same compute, validation mse
     * 0.0073 against 0.020 after 8 epochs of loose parts), a sharper map (σ 1.5 px), and {@code map-contrast} as the
     * score: the map's top against the frame's own error, so that the normal frames the model reconstructs worse all
     * over do not take the false alarms that the thin scratches need.
     *
     * <p>Measured on the fixture camera ({@link #DEMO_MAX_ROTATION}, 2-core Intel Xeon, 2026-12-01), 8,192 fresh
     * normal frames and about 510 of each kind (docs/training.md): after 12 epochs 0.17 % of normal frames flagged,
     * recall 0.958 scratches, 0.988 foreign objects and all of every other kind; the same weights scored by map-topk
     * 0.28 %, 0.771 and 0.928; after 8 epochs 0.21 %, 0.894 and 0.959. With loose parts (8 epochs) the AUROC of
     * scratches is 0.83.
     */
    public static TrainingOptions.Builder demoOptions() {
        return TrainingOptions.builder()
                .optEpochs(DEMO_EPOCHS)
                .optBatchSize(16)
                .optLearningRate(2e-3f)
                .optModel(TrainingOptions.DEFAULT_MODEL.toBuilder().inChannels(3).imageSize(64).latentDim(32).hiddenDims(16, 32, 64).build())
                .optImageSizeFromData(false)
                .optChannelsFromData(false)
                .optScoreName(AnomalyScore.MAP_CONTRAST)
                .optMapSigma(1.5)
                .optFalseAlarmRate(DEMO_FALSE_ALARM_RATE)
                .optWriteImages(false);
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
     * Trains on the camera of {@code seed}, rendered at the options' model size and channels, and writes the model
     * directory.
     *
     * @param options usually {@link #options()} or {@link #demoOptions()}, perhaps changed; its data spec is set here
     * @return the metadata as written
     */
    public static ModelMetadata train(Path dir, long seed, TrainingOptions options, ProgressListener progress) throws IOException {
        return train(dir, camera(seed), options, VALIDATION_FRAMES, progress);
    }

    /**
     * As {@link #train(Path, long, TrainingOptions, ProgressListener)}, on the normal frames of {@code camera} (its size and
     * channels set here to the options' model), calibrated on {@code validationFrames} normal frames: a low false-alarm
     * rate needs more of them (the threshold is their quantile).
     */
    public static ModelMetadata train(Path dir, SyntheticCamera.Builder camera, TrainingOptions options, int validationFrames,
            ProgressListener progress) throws IOException {
        DipVaeConfig shape = options.model();
        SyntheticCamera normal = camera.imageSize(shape.imageSize()).channels(shape.inChannels()).anomalyRate(0).build();
        String spec = "synthetic camera seed " + normal.seed() + (normal.maxRotation() < 180 ? ", parts within ±" + normal.maxRotation() + "°" : "")
                + ", frames 0-" + (TRAIN_FRAMES - 1);
        return ModelTrainer.train(options.toBuilder().optDataSpec(spec).build(), new SyntheticDataset(normal, 0, TRAIN_FRAMES),
                new SyntheticDataset(normal, VALIDATION_START, validationFrames), dir, progress);
    }
}

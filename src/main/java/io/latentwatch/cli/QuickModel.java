package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonObject;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.DipVaeTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleConsumer;

/**
 * A small DIP-VAE trained in about half a minute on the synthetic camera's normal frames, for the demo when no model
 * is given (and for the tests): 32 × 32 grayscale, hidden [16, 32, 64], latent 16, Adam at 1e-3 with {@link
 * DipVaeTrainer}, calibrated at the 99th percentile of held-out normal frames' mse.
 *
 * <p>A stopgap until the full trainer ({@code latentwatch train}) is available here; at 32 × 32 it flags blank,
 * overexposed and noisy frames nearly always, about 3/4 of foreign objects and 2/3 of missing parts, and almost
 * no scratches or stains.
 */
public final class QuickModel {

    public static final int SIZE = 32;
    public static final int CHANNELS = 1;
    private static final int BATCH = 64;
    private static final double QUANTILE = 0.99;
    /** Validation frames come from far beyond the training frames' indices. */
    private static final long VALIDATION_START = 1_000_000;

    private QuickModel() {}

    /** The model's shape. */
    public static DipVaeConfig config() {
        return DipVaeConfig.builder().inChannels(CHANNELS).imageSize(SIZE).latentDim(16).hiddenDims(16, 32, 64).build();
    }

    /** A camera of the scene the model is trained on, without anomalies. */
    public static SyntheticCamera.Builder camera(long seed) {
        return SyntheticCamera.builder().seed(seed).imageSize(SIZE).channels(CHANNELS);
    }

    /**
     * Trains and writes a model directory.
     *
     * @param seed the camera's seed (frames 0 .. trainFrames-1 train, frames from 1,000,000 on calibrate)
     * @param progress told the fraction done, 0 to 1, after every step
     * @return the metadata as written
     */
    public static ModelMetadata train(Path dir, long seed, int trainFrames, int validationFrames, int epochs, DoubleConsumer progress)
            throws IOException {
        if (trainFrames < BATCH || validationFrames < 100 || epochs < 1) {
            throw new IllegalArgumentException("need at least " + BATCH + " training frames, 100 validation frames and 1 epoch");
        }
        long t0 = System.nanoTime();
        DipVaeConfig config = config();
        int values = config.frameValues();
        SyntheticCamera camera = camera(seed).build();
        float[] train = new float[trainFrames * values];
        for (int i = 0; i < trainFrames; i++) {
            System.arraycopy(camera.frame(i).normalise(CHANNELS, SIZE), 0, train, i * values, values);
        }
        float[] validation = new float[validationFrames * values];
        for (int i = 0; i < validationFrames; i++) {
            System.arraycopy(camera.frame(VALIDATION_START + i).normalise(CHANNELS, SIZE), 0, validation, i * values, values);
        }
        Engine.getInstance().setRandomSeed(11);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DipVae model = new DipVae(config).initialize(manager);
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, Tracker.fixed(1e-3f));
            float[] batch = new float[BATCH * values];
            int[] order = new int[trainFrames];
            Arrays.setAll(order, i -> i);
            Random random = new Random(3);
            int stepsPerEpoch = trainFrames / BATCH;
            int steps = 0;
            double loss = Double.NaN;
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (int i = order.length - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int b = 0; b + BATCH <= trainFrames; b += BATCH) {
                    for (int k = 0; k < BATCH; k++) {
                        System.arraycopy(train, order[b + k] * values, batch, k * values, values);
                    }
                    loss = trainer.step(batch, BATCH).total;
                    steps++;
                    progress.accept((double) steps / (epochs * stepsPerEpoch));
                }
            }
            double[] mse = new double[validationFrames];
            try (BatchScorer scorer = new BatchScorer(model, Device.cpu(), DataType.FLOAT32, "mse")) {
                for (int b = 0; b < validationFrames; b += BATCH) {
                    int n = Math.min(BATCH, validationFrames - b);
                    FrameScore[] s = scorer.score(Arrays.copyOfRange(validation, b * values, (b + n) * values), n);
                    for (int k = 0; k < n; k++) {
                        mse[b + k] = s[k].mse;
                    }
                }
            }
            Arrays.sort(mse);
            double threshold = mse[(int) Math.ceil(QUANTILE * validationFrames) - 1];
            JsonObject calibration = new JsonObject();
            calibration.addProperty("score", "mse");
            calibration.addProperty("threshold", threshold);
            calibration.addProperty("quantile", QUANTILE);
            calibration.addProperty("frames", validationFrames);
            JsonObject training = new JsonObject();
            training.addProperty("dataset", "synthetic camera seed " + seed + ", frames 0-" + (trainFrames - 1));
            training.addProperty("trainer", "latentwatch quick model (demo)");
            training.addProperty("epochs", epochs);
            training.addProperty("steps", steps);
            training.addProperty("final_loss", loss);
            training.addProperty("validation_mse_median", mse[validationFrames / 2]);
            training.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            return ModelDirectory.write(dir, model, new ModelMetadata(1, null, Instant.now(), config, calibration, training, null));
        }
    }
}

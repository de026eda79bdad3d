package io.latentwatch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonObject;
import io.latentwatch.frames.AnomalyKind;
import io.latentwatch.frames.SyntheticCamera;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import io.latentwatch.training.DipVaeTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Utils;

/**
 * A small DIP-VAE trained on the synthetic camera, for tests that need a model that tells the camera's anomalies
 * from its normal frames: 1 × 32 × 32 grayscale, hidden [16, 32, 64], latent 16, trained with {@link DipVaeTrainer}
 * on normal frames for a bounded time, calibrated at the 99th percentile of held-out normal frames' mse. Trained
 * once per JVM (the integration tests share it) into a temporary directory removed at exit.
 */
public final class TestModels {

    /** The camera the model was trained on (seed, size, channels); tests draw their frames from the same scene. */
    public static final long SEED = 7;
    public static final int SIZE = 32;
    public static final int CHANNELS = 1;
    /**
     * The anomaly kinds that this model flags nearly always (measured: 99-100 % of 200 frames each). At 32 × 32 it
     * flags about 3/4 of foreign objects and 2/3 of missing parts, and almost no scratches or stains.
     */
    public static final List<AnomalyKind> DETECTABLE = List.of(AnomalyKind.NOISE_BURST, AnomalyKind.BLANK, AnomalyKind.OVEREXPOSED);

    private static final int TRAIN_FRAMES = 3072;
    private static final int VALIDATION_FRAMES = 512;
    /** Validation frames come from far beyond the training frames' indices. */
    private static final long VALIDATION_START = 1_000_000;
    private static final int BATCH = 64;
    private static final int EPOCHS = 10;
    /** A safety stop for a very slow machine; normally the epochs end first (about 30 s on 2 cores). */
    private static final long MAX_TRAINING_NANOS = TimeUnit.SECONDS.toNanos(150);
    private static final double QUANTILE = 0.99;

    private static Path detector;

    private TestModels() {}

    /** A normal-frames camera of the training scene (anomalies added per test with {@code toBuilder}-like settings). */
    public static SyntheticCamera.Builder camera() {
        return SyntheticCamera.builder().seed(SEED).imageSize(SIZE).channels(CHANNELS);
    }

    /** The model directory, trained on first use in this JVM. */
    public static synchronized Path detector() {
        if (detector == null) {
            try {
                Path dir = Files.createTempDirectory("latentwatch-test-model-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                train(dir);
                detector = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return detector;
    }

    public static DipVaeConfig config() {
        return DipVaeConfig.builder().inChannels(CHANNELS).imageSize(SIZE).latentDim(16).hiddenDims(16, 32, 64).build();
    }

    private static void train(Path dir) throws IOException {
        long t0 = System.nanoTime();
        DipVaeConfig config = config();
        int values = config.frameValues();
        SyntheticCamera camera = camera().build();
        float[] train = new float[TRAIN_FRAMES * values];
        for (int i = 0; i < TRAIN_FRAMES; i++) {
            System.arraycopy(camera.frame(i).normalise(CHANNELS, SIZE), 0, train, i * values, values);
        }
        float[] validation = new float[VALIDATION_FRAMES * values];
        for (int i = 0; i < VALIDATION_FRAMES; i++) {
            System.arraycopy(camera.frame(VALIDATION_START + i).normalise(CHANNELS, SIZE), 0, validation, i * values, values);
        }
        long rendered = System.nanoTime();
        // one intra-op thread: on a 2-core machine that also runs Kafka, Flink and maybe another build, more
        // threads spin against each other and a step takes ten times as long
        Engine.getInstance().setRandomSeed(11); // loads the native library first
        JniUtils.setNumThreads(1);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DipVae model = new DipVae(config).initialize(manager);
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, Tracker.fixed(1e-3f));
            float[] batch = new float[BATCH * values];
            int[] order = new int[TRAIN_FRAMES];
            Arrays.setAll(order, i -> i);
            java.util.Random random = new java.util.Random(3);
            int epochs = 0;
            int steps = 0;
            double lastLoss = Double.NaN;
            while (epochs < EPOCHS && System.nanoTime() - t0 < MAX_TRAINING_NANOS) {
                for (int i = order.length - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int b = 0; b + BATCH <= TRAIN_FRAMES; b += BATCH) {
                    for (int k = 0; k < BATCH; k++) {
                        System.arraycopy(train, order[b + k] * values, batch, k * values, values);
                    }
                    lastLoss = trainer.step(batch, BATCH).total;
                    steps++;
                }
                epochs++;
            }
            double[] mse = new double[VALIDATION_FRAMES];
            try (BatchScorer scorer = new BatchScorer(model, Device.cpu(), DataType.FLOAT32, "mse")) {
                for (int b = 0; b < VALIDATION_FRAMES; b += BATCH) {
                    int n = Math.min(BATCH, VALIDATION_FRAMES - b);
                    float[] chunk = Arrays.copyOfRange(validation, b * values, (b + n) * values);
                    FrameScore[] s = scorer.score(chunk, n);
                    for (int k = 0; k < n; k++) {
                        mse[b + k] = s[k].mse;
                    }
                }
            }
            Arrays.sort(mse);
            double threshold = mse[(int) Math.ceil(QUANTILE * VALIDATION_FRAMES) - 1];
            JsonObject calibration = new JsonObject();
            calibration.addProperty("score", "mse");
            calibration.addProperty("threshold", threshold);
            calibration.addProperty("quantile", QUANTILE);
            calibration.addProperty("frames", VALIDATION_FRAMES);
            JsonObject training = new JsonObject();
            training.addProperty("dataset", "synthetic camera seed " + SEED + ", frames 0-" + (TRAIN_FRAMES - 1) + " (test model)");
            training.addProperty("epochs", epochs);
            training.addProperty("steps", steps);
            training.addProperty("final_loss", lastLoss);
            training.addProperty("validation_mse_median", mse[VALIDATION_FRAMES / 2]);
            ModelDirectory.write(dir, model, new ModelMetadata(1, null, Instant.now(), config, calibration, training, null));
            System.out.printf("test model: frames rendered in %.1f s; %d epochs, %d steps in %.1f s, loss %.2f, validation mse"
                            + " p50 %.5f p90 %.5f p99 %.5f max %.5f%n",
                    (rendered - t0) / 1e9, epochs, steps, (System.nanoTime() - t0) / 1e9, lastLoss, mse[VALIDATION_FRAMES / 2],
                    mse[VALIDATION_FRAMES * 9 / 10], threshold, mse[VALIDATION_FRAMES - 1]);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            // a temporary directory; the OS cleans up what is left
        }
    }
}

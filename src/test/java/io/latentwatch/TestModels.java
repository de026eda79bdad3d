package io.latentwatch;

import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.model.SafeTensors;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.SyntheticCameraModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.utils.Utils;

/**
 * A small DIP-VAE that tells the synthetic camera's anomalies from its normal frames, for the integration tests:
 * {@link SyntheticCameraModel}'s small model (1 × 32 × 32 grayscale, hidden [16, 32, 64], latent 16), trained on the
 * CPU by the real trainer for 10 epochs on 3072 normal frames and calibrated on the mse at the 99th percentile of
 * 512 held-out ones. Trained once per JVM (the ITCases share it) into a temporary directory removed at exit; about
 * 40 s on 2 cores with one OpenMP thread (the pom sets OMP_NUM_THREADS=1 for tests: more threads spin against
 * Kafka's and Flink's and a step takes ten times as long).
 */
public final class TestModels {

    /** The camera the model was trained on; tests draw their frames from the same scene. */
    public static final long SEED = 7;
    public static final int SIZE = SyntheticCameraModel.SIZE;
    public static final int CHANNELS = SyntheticCameraModel.CHANNELS;
    /**
     * The anomaly kinds that this model flags nearly always (measured: 100 % of 200 frames each). At 32 × 32 it flags
     * about a third of the missing parts, and few stains, scratches and foreign objects ({@link SyntheticCameraModel}).
     */
    public static final List<AnomalyKind> DETECTABLE = List.of(AnomalyKind.NOISE_BURST, AnomalyKind.BLANK, AnomalyKind.OVEREXPOSED);

    private static Path detector;

    private TestModels() {}

    /** A normal-frames camera of the training scene; tests add anomalies. */
    public static SyntheticCamera.Builder camera() {
        return SyntheticCameraModel.camera(SEED);
    }

    /** The model directory, trained on first use in this JVM. */
    public static synchronized Path detector() {
        if (detector == null) {
            try {
                Path dir = Files.createTempDirectory("latentwatch-test-model-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                long t0 = System.nanoTime();
                // on the CPU wherever the tests run, so that every machine shares one model and its threshold
                ModelMetadata m = SyntheticCameraModel.train(dir, SEED, SyntheticCameraModel.options().optDevice("cpu").build(),
                        ProgressListener.NONE);
                System.out.printf("test model trained in %.1f s: %s, threshold %.5f%n", (System.nanoTime() - t0) / 1e9, m.training(), m.threshold());
                detector = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return detector;
    }

    /**
     * A copy of a model directory as another version, its weights changed by {@code edit} (model.json's version and
     * sha256 follow; the pixel statistics are copied as they are): for tests that need a second valid version, or a model that misbehaves.
     */
    public static Path copyAs(Path model, Path target, long version, UnaryOperator<Map<String, SafeTensors.Tensor>> edit) throws IOException {
        ModelMetadata m = ModelDirectory.readMetadata(model);
        Map<String, SafeTensors.Tensor> tensors = edit.apply(new LinkedHashMap<>(SafeTensors.read(
                Files.readAllBytes(model.resolve(ModelDirectory.WEIGHTS)), ModelDirectory.WEIGHTS)));
        byte[] weights = SafeTensors.write(tensors);
        ModelMetadata copy = new ModelMetadata(version, m.version(), Instant.now(), m.config(), m.calibration(), m.training(), null)
                .withSha256(ModelDirectory.sha256(weights));
        Files.createDirectories(target);
        Files.write(target.resolve(ModelDirectory.WEIGHTS), weights);
        Files.write(target.resolve(ModelDirectory.MODEL_JSON), copy.toJson().getBytes(StandardCharsets.UTF_8));
        if (ModelDirectory.pixelStatsSha256(m) != null) {
            // the anomaly maps' statistics travel with the calibration that names them
            Files.write(target.resolve(ModelDirectory.PIXEL_STATS), ModelDirectory.readPixelStats(model, m));
        }
        return target;
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            // a temporary directory; the OS cleans up what is left
        }
    }
}

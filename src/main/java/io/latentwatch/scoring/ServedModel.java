package io.latentwatch.scoring;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One model version as a scorer serves it: its {@link BatchScorer} snapshot on the scorer's device, with the version
 * and calibrated threshold that go into every frame it scores. Close it once no batch uses it.
 */
public final class ServedModel implements AutoCloseable {

    public final BatchScorer scorer;
    public final long version;
    /** The calibrated threshold of model.json; NaN where the model has none. */
    public final double threshold;
    public final Path directory;
    /** Of its weights file, as model.json records it (checked on load). */
    public final String sha256;

    private ServedModel(BatchScorer scorer, long version, double threshold, Path directory, String sha256) {
        this.scorer = scorer;
        this.version = version;
        this.threshold = threshold;
        this.directory = directory;
        this.sha256 = sha256;
    }

    /**
     * Reads and checks a model directory and builds its scorer.
     *
     * @param expected the config the job normalises frames for; a model of another shape is refused
     * @param expectedSha256 the weights' sha256 a model update announced, or null to trust model.json alone
     * @throws ModelFormatException if the directory is refused (missing or corrupted files, another shape, another
     *     sha256 than announced, a calibration the scorer cannot use)
     */
    public static ServedModel load(Path dir, Device device, DataType precision, DipVaeConfig expected, String expectedSha256)
            throws IOException {
        try (NDManager load = NDManager.newBaseManager(device)) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(dir, load);
            if (!loaded.metadata.config().equals(expected)) {
                throw new ModelFormatException("model " + dir + " has config " + loaded.metadata.config()
                        + ", but the job normalises frames for " + expected);
            }
            if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(loaded.metadata.sha256())) {
                throw new ModelFormatException("model " + dir + " has weights of sha256 " + loaded.metadata.sha256()
                        + ", but its update announced " + expectedSha256);
            }
            // the calibrated score with its fitted state (latent statistics for the scores `latentwatch train` writes)
            BatchScorer scorer = BatchScorer.forModel(loaded, device, precision);
            return new ServedModel(scorer, loaded.metadata.version(), loaded.metadata.threshold(), dir, loaded.metadata.sha256());
        }
    }

    @Override
    public void close() {
        scorer.close();
    }

    @Override
    public String toString() {
        return "version " + version + " (" + directory + ")";
    }
}

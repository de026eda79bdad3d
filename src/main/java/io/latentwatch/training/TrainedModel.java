package io.latentwatch.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.latentwatch.frames.ImageGrids;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.MapCalibration;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A model that {@link ModelTrainer#fit} trained and calibrated, still in memory: the network (on the training
 * device), its metadata (not yet written, so without sha256), and the calibrated score. Owns the network's arrays:
 * close it.
 */
public final class TrainedModel implements AutoCloseable {

    /** Reconstructions and samples shown in the PNG grids. */
    static final int GRID_FRAMES = 32;
    static final int GRID_COLUMNS = 8;
    static final int SAMPLES = 64;

    /** Written next to model.json: validation inputs (odd rows) above their reconstructions (even rows). */
    public static final String RECONSTRUCTIONS_PNG = "reconstructions.png";
    /** Written next to model.json: decodes of z ~ N(0, I). */
    public static final String SAMPLES_PNG = "samples.png";

    private final NDManager manager;
    private final DipVae model;
    private final ModelMetadata metadata;
    private final AnomalyScore score;
    private final MapCalibration maps;
    private final float[] gridInputs;
    private final int gridCount;
    private final long seed;
    private final boolean writeImages;

    TrainedModel(NDManager manager, DipVae model, ModelMetadata metadata, AnomalyScore score, MapCalibration maps,
            NormalisedFrames validation, long seed, boolean writeImages) {
        this.manager = manager;
        this.model = model;
        this.metadata = metadata;
        this.score = score;
        this.maps = maps;
        this.gridCount = Math.min(GRID_FRAMES, validation.count());
        this.gridInputs = new float[gridCount * validation.frameValues()];
        System.arraycopy(validation.values(), 0, gridInputs, 0, gridInputs.length);
        this.seed = seed;
        this.writeImages = writeImages;
    }

    /** The trained network (eval it with {@code training = false}, or snapshot it into a BatchScorer). */
    public DipVae model() {
        return model;
    }

    /** Metadata as it will be written (version 1, calibration, training summary), sha256 still null. */
    public ModelMetadata metadata() {
        return metadata;
    }

    /** The calibrated anomaly maps (settings, pixel statistics, region threshold), or null without maps. */
    public MapCalibration maps() {
        return maps;
    }

    /** The calibrated anomaly score, with its fitted state. */
    public AnomalyScore score() {
        return score;
    }

    public Device device() {
        return manager.getDevice();
    }

    /**
     * Writes the model directory ({@link ModelDirectory#write}) and, unless turned off in the options,
     * {@value #RECONSTRUCTIONS_PNG} and {@value #SAMPLES_PNG}.
     *
     * @return the metadata as written, with the weights' sha256
     */
    public ModelMetadata write(Path dir) throws IOException {
        ModelMetadata written = ModelDirectory.write(dir, model, metadata, maps == null ? null : maps.stats().toSafeTensors());
        if (writeImages) {
            writeImages(dir);
        }
        return written;
    }

    private void writeImages(Path dir) throws IOException {
        DipVaeConfig c = model.getConfig();
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray x = scope.create(gridInputs, model.inputShape(gridCount));
            float[] recon = model.forward(ps, new NDList(x), false).get(0).toFloatArray();
            ImageGrids.writePng(ImageGrids.pairs(gridInputs, recon, gridCount, c.inChannels(), c.imageSize(), GRID_COLUMNS),
                    dir.resolve(RECONSTRUCTIONS_PNG));
            Random r = new Random(seed);
            float[] z = new float[SAMPLES * c.latentDim()];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) r.nextGaussian();
            }
            NDArray zs = scope.create(z, new ai.djl.ndarray.types.Shape(SAMPLES, c.latentDim()));
            float[] samples = model.decode(ps, zs, false).toFloatArray();
            ImageGrids.writePng(ImageGrids.grid(samples, SAMPLES, c.inChannels(), c.imageSize(), GRID_COLUMNS), dir.resolve(SAMPLES_PNG));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

package io.latentwatch.scoring;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.FusedDipVae;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Scores batches of normalised frames with an eval-mode snapshot of a model: encode → μ → decode → per-frame mse
 * and KL, copied to the host in one transfer, then each frame's anomaly score ({@link AnomalyScore}) on the host.
 * Each batch runs in its own NDManager scope, closed before returning, so memory stays flat however many batches
 * are scored. Not thread-safe (neither is DJL's NDManager): one scorer per thread or Flink subtask.
 */
public final class BatchScorer implements AutoCloseable {

    private final NDManager manager;
    private final FusedDipVae model;
    private final DipVaeConfig config;
    private final AnomalyScore score;
    /** The anomaly maps' settings and statistics, or null: no maps. */
    private final MapCalibration maps;
    /** The pixel statistics on the device (null without them): a map is standardised before its one transfer. */
    private final NDArray pixelMean;
    private final NDArray pixelSpread;
    /** Reused upload buffer: the engine copies from native memory without another allocation per batch. */
    private ByteBuffer upload;

    /**
     * @param model the trained network (its weights are snapshot, BatchNorm folded)
     * @param device where to score
     * @param precision FLOAT32 or FLOAT16
     * @param scoreName a score that needs no calibrated state: "mse" (use {@link #forModel} for the others)
     * @throws IllegalArgumentException for an unknown score or one that needs the model directory's calibration
     */
    public BatchScorer(DipVae model, Device device, DataType precision, String scoreName) {
        this(model, device, precision, MemoryLayout.NHWC, scoreName);
    }

    /** As above, with the activations' memory layout chosen. */
    public BatchScorer(DipVae model, Device device, DataType precision, MemoryLayout layout, String scoreName) {
        this(model, device, precision, layout, AnomalyScore.of(scoreName));
    }

    /**
     * A scorer with a fitted score (for example one read from a model directory's calibration).
     *
     * @param model the trained network (its weights are snapshot, BatchNorm folded)
     * @param device where to score
     * @param precision FLOAT32 or FLOAT16
     * @param layout the activations' memory layout
     * @param score how mse and μ make the score
     */
    public BatchScorer(DipVae model, Device device, DataType precision, MemoryLayout layout, AnomalyScore score) {
        this(model, device, precision, layout, score, null);
    }

    /**
     * A scorer that also measures each frame's anomaly map.
     *
     * @param maps the maps' settings and statistics, or null for no maps
     * @throws IllegalArgumentException for a map score without maps, or statistics of another image size
     */
    public BatchScorer(DipVae model, Device device, DataType precision, MemoryLayout layout, AnomalyScore score, MapCalibration maps) {
        if (score.usesMap() && maps == null) {
            throw new IllegalArgumentException("score \"" + score.name() + "\" needs anomaly maps");
        }
        int size = model.getConfig().imageSize();
        if (maps != null && maps.stats() != null && maps.stats().size() != size) {
            throw new IllegalArgumentException("pixel statistics of " + maps.stats().size() + " pixels a side, the model takes " + size);
        }
        if (score.latents() != null && score.latents().dim() != model.getConfig().latentDim()) {
            throw new IllegalArgumentException("score \"" + score.name() + "\" has latent statistics of " + score.latents().dim()
                    + " dimensions, the model has " + model.getConfig().latentDim());
        }
        Devices.tuneConvolutions(device);
        this.manager = NDManager.newBaseManager(device);
        this.model = FusedDipVae.of(model, manager, precision, layout);
        this.config = model.getConfig();
        this.score = score;
        this.maps = maps;
        if (maps != null && maps.stats() != null) {
            Shape plane = new Shape(size, size);
            pixelMean = manager.create(maps.stats().mean(), plane);
            pixelSpread = manager.create(maps.stats().spread(), plane);
        } else {
            pixelMean = null;
            pixelSpread = null;
        }
    }

    /**
     * A scorer for a model read from its directory, with the score its calibration names (mse, or a latent score
     * with the stored training-latent statistics), channels-last.
     *
     * @throws ModelFormatException if the calibration names an unknown score or lacks the state it needs
     */
    public static BatchScorer forModel(ModelDirectory.Loaded loaded, Device device, DataType precision) throws ModelFormatException {
        AnomalyScore score = AnomalyScore.fromCalibration(loaded.metadata.calibration(), loaded.metadata.config().latentDim());
        return new BatchScorer(loaded.model, device, precision, MemoryLayout.NHWC, score, mapsOf(loaded));
    }

    /**
     * The anomaly maps a model directory's calibration describes, with its pixel statistics; null for a model
     * without calibration.map (it scores without maps, with its own score).
     *
     * @throws ModelFormatException if calibration.map is malformed or its statistics do not fit the model
     */
    public static MapCalibration mapsOf(ModelDirectory.Loaded loaded) throws ModelFormatException {
        JsonObject calibration = loaded.metadata.calibration();
        if (!calibration.has("map") || !calibration.get("map").isJsonObject()) {
            return null;
        }
        PixelStatistics stats = loaded.pixelStats == null ? null
                : PixelStatistics.fromTensors(loaded.pixelStats, loaded.metadata.config().imageSize());
        return MapCalibration.fromJson(calibration.getAsJsonObject("map"), stats);
    }

    /** The anomaly maps' settings and statistics, null where this scorer measures none. */
    public MapCalibration getMaps() {
        return maps;
    }

    public DipVaeConfig getConfig() {
        return config;
    }

    public String getScoreName() {
        return score.name();
    }

    public AnomalyScore getScore() {
        return score;
    }

    public Device getDevice() {
        return manager.getDevice();
    }

    /**
     * Scores frames.
     *
     * @param pixels frames one after another, each in_channels × image_size × image_size values in [−1, 1]
     * @param count number of frames in {@code pixels}
     */
    public FrameScore[] score(float[] pixels, int count) {
        int values = config.frameValues();
        if (pixels.length < (long) count * values) {
            throw new IllegalArgumentException("expected " + count + " frames of " + values + " values, got " + pixels.length + " values");
        }
        int latent = config.latentDim();
        int size = config.imageSize();
        int mapValues = maps == null ? 0 : size * size;
        float[] host;
        try (NDManager batch = manager.newSubManager()) {
            int bytes = count * values * Float.BYTES;
            if (upload == null || upload.capacity() < bytes) {
                upload = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            }
            NDArray x = model.getLayout().upload(batch, pixels, count,
                    new Shape(config.inChannels(), config.imageSize(), config.imageSize()), upload);
            if (maps == null) {
                host = model.score(x).toFloatArray(); // one host transfer per batch
            } else {
                NDList out = model.score(x, maps.map());
                NDArray map = out.get(1);
                if (pixelMean != null) {
                    map = map.sub(pixelMean).div(pixelSpread);
                }
                host = out.get(0).concat(map.reshape(count, mapValues), 1).toFloatArray();
            }
        }
        int row = 2 + 2 * latent + mapValues;
        int k = maps == null ? 0 : maps.topKPixels(size);
        FrameScore[] out = new FrameScore[count];
        for (int i = 0; i < count; i++) {
            int o = i * row;
            float[] mu = new float[latent];
            float[] logVar = new float[latent];
            System.arraycopy(host, o + 2, mu, 0, latent);
            System.arraycopy(host, o + 2 + latent, logVar, 0, latent);
            double mse = host[o];
            FrameScore f;
            if (maps == null) {
                f = new FrameScore(mse, host[o + 1], Double.NaN, mu, logVar);
            } else {
                float[] mapped = new float[mapValues];
                System.arraycopy(host, o + 2 + 2 * latent, mapped, 0, mapValues);
                AnomalyMap map = new AnomalyMap(size, mapped, maps.threshold());
                f = new FrameScore(mse, host[o + 1], Double.NaN, mu, logVar, map, map.max(), map.topKMean(k));
            }
            out[i] = f.withScore(score.score(f));
        }
        return out;
    }

    /**
     * The frames' reconstructions decode(μ) in eval mode, what their mse and maps compare against: for pictures
     * (score-images --maps, evaluate --worst). Runs in its own NDManager scope, closed before returning.
     *
     * @param pixels frames one after another, each in_channels × image_size × image_size values in [−1, 1]
     * @return count frames of in_channels × image_size × image_size values in [−1, 1], channels first
     */
    public float[] reconstruct(float[] pixels, int count) {
        int values = config.frameValues();
        if (pixels.length < (long) count * values) {
            throw new IllegalArgumentException("expected " + count + " frames of " + values + " values, got " + pixels.length + " values");
        }
        try (NDManager batch = manager.newSubManager()) {
            NDArray x = batch.create(Arrays.copyOf(pixels, count * values),
                    new Shape(count, config.inChannels(), config.imageSize(), config.imageSize()));
            NDArray mu = model.encode(x).get(":, :" + config.latentDim());
            // toFloatArray gives the logical (batch, C, H, W) order whatever the memory layout
            return model.decode(mu).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public void close() {
        model.close();
        if (pixelMean != null) {
            pixelMean.close();
            pixelSpread.close();
        }
        manager.close();
    }
}

package io.latentwatch.model;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * A model is a directory: {@code model.json} and {@code weights.safetensors} (DESIGN.md). Reading checks the
 * sha256, the tensor names and shapes against the config, and that every value is finite; a model that fails any
 * check is refused with a {@link ModelFormatException} naming the problem, and nothing is half-loaded.
 */
public final class ModelDirectory {

    public static final String MODEL_JSON = "model.json";
    public static final String WEIGHTS = "weights.safetensors";
    /**
     * Per-pixel statistics of normal frames' anomaly maps (mean and spread of each pixel's error), for standardised
     * maps. Optional: model.json's {@code calibration.map.pixel_stats_sha256} names it where a model has it.
     */
    public static final String PIXEL_STATS = "pixel-stats.safetensors";
    /** Where model.json records the pixel statistics' sha256: {@code calibration.map.<this>}. */
    public static final String PIXEL_STATS_SHA256 = "pixel_stats_sha256";

    /** How long a reader waits for a directory that {@link #write} is swapping in (a rename's time; generous). */
    private static final long SWAP_WAIT_MS = 2000;

    private ModelDirectory() {}

    /** A model read from disk: its metadata and the network, initialised on the manager's device. */
    public static final class Loaded {
        public final ModelMetadata metadata;
        public final DipVae model;
        /** The pixel statistics' tensors, checked against model.json; null for a model without them. */
        public final Map<String, SafeTensors.Tensor> pixelStats;
        /** The pixel statistics file as read (to carry on to a fine-tuned child), or null. */
        public final byte[] pixelStatsBytes;

        Loaded(ModelMetadata metadata, DipVae model, byte[] pixelStatsBytes, Map<String, SafeTensors.Tensor> pixelStats) {
            this.metadata = metadata;
            this.model = model;
            this.pixelStatsBytes = pixelStatsBytes;
            this.pixelStats = pixelStats;
        }
    }

    /**
     * Writes a model directory as a whole: model.json and the weights go into a temporary sibling directory, are
     * forced to the device, and the directory then takes the place of {@code dir} ({@link AtomicFiles#writeDirectory}).
     * A reader (or a crash) meets the old model or the new one, never model.json of one with the weights of the other;
     * whatever else was in an existing {@code dir} goes with the old model. The sha256 in the written model.json is
     * that of the written weights.
     *
     * @return the metadata as written
     */
    public static ModelMetadata write(Path dir, DipVae model, ModelMetadata metadata) throws IOException {
        return write(dir, model, metadata, null);
    }

    /**
     * As {@link #write(Path, DipVae, ModelMetadata)}, with the anomaly maps' pixel statistics ({@value #PIXEL_STATS}):
     * their sha256 goes into {@code calibration.map}, which the calibration must then have.
     *
     * @param pixelStats the statistics file's bytes, or null for none
     */
    public static ModelMetadata write(Path dir, DipVae model, ModelMetadata metadata, byte[] pixelStats) throws IOException {
        if (!metadata.config().equals(model.getConfig())) {
            throw new IllegalArgumentException("metadata config " + metadata.config() + " differs from the model's " + model.getConfig());
        }
        byte[] weights = SafeTensors.write(DipVaeWeights.export(model));
        ModelMetadata meta = metadata;
        Map<String, byte[]> files = new HashMap<>();
        if (pixelStats != null) {
            JsonObject calibration = metadata.calibration();
            if (!calibration.has("map") || !calibration.get("map").isJsonObject()) {
                throw new IllegalArgumentException("pixel statistics need a calibration.map object to record them in");
            }
            calibration.getAsJsonObject("map").addProperty(PIXEL_STATS_SHA256, sha256(pixelStats));
            meta = metadata.withCalibration(calibration);
            files.put(PIXEL_STATS, pixelStats);
        }
        ModelMetadata written = meta.withSha256(sha256(weights));
        files.put(WEIGHTS, weights);
        files.put(MODEL_JSON, written.toJson().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.writeDirectory(dir, files);
        return written;
    }

    /** The sha256 of the pixel statistics that model.json names, or null when the model has none. */
    public static String pixelStatsSha256(ModelMetadata meta) {
        JsonObject c = meta.calibration();
        if (!c.has("map") || !c.get("map").isJsonObject()) {
            return null;
        }
        JsonElement sha = c.getAsJsonObject("map").get(PIXEL_STATS_SHA256);
        return sha == null || sha.isJsonNull() ? null : sha.getAsString();
    }

    /** Reads and checks model.json alone. */
    public static ModelMetadata readMetadata(Path dir) throws IOException {
        return ModelMetadata.fromJson(new String(readBytes(dir, MODEL_JSON), StandardCharsets.UTF_8));
    }

    /**
     * Reads a model directory and builds the network on the manager's device.
     *
     * @throws ModelFormatException if a file is missing, the sha256 differs, a tensor is missing, unexpected,
     *     mis-shaped for the config or not finite, or the weights file is truncated
     */
    public static Loaded read(Path dir, NDManager manager) throws IOException {
        for (int attempt = 1; ; attempt++) {
            byte[] json = readBytes(dir, MODEL_JSON);
            ModelMetadata meta = ModelMetadata.fromJson(new String(json, StandardCharsets.UTF_8));
            byte[] weights = readBytes(dir, WEIGHTS);
            String actual = sha256(weights);
            if (!actual.equalsIgnoreCase(meta.sha256()) && attempt < 3) {
                // the directory may have been replaced between the two reads (write(); its inode can be
                // reused, so no identity check is safe): read it again, whole, before refusing it
                continue;
            }
            requireSha256(dir, meta, actual);
            Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(weights, WEIGHTS);
            String statsSha = pixelStatsSha256(meta);
            byte[] stats = null;
            Map<String, SafeTensors.Tensor> statTensors = null;
            if (statsSha != null) {
                stats = readBytes(dir, PIXEL_STATS);
                String statsActual = sha256(stats);
                if (!statsActual.equalsIgnoreCase(statsSha)) {
                    if (attempt < 3) {
                        continue;
                    }
                    requirePixelStatsSha256(dir, statsSha, statsActual);
                }
                statTensors = SafeTensors.read(stats, PIXEL_STATS);
            }
            DipVae model = new DipVae(meta.config()).initialize(manager);
            DipVaeWeights.load(model, tensors, WEIGHTS);
            return new Loaded(meta, model, stats, statTensors);
        }
    }

    /**
     * Reads the weights of a model directory, checked against the sha256 that its model.json names ({@code meta}): the
     * bytes to copy or load are the ones that were checked.
     *
     * @throws ModelFormatException if the weights file is missing or its sha256 is not model.json's
     */
    public static byte[] readWeights(Path dir, ModelMetadata meta) throws IOException {
        byte[] weights = readBytes(dir, WEIGHTS);
        requireSha256(dir, meta, sha256(weights));
        return weights;
    }

    /**
     * Checks that the weights file (and the pixel statistics, where model.json names them) of a model directory are the
     * ones its model.json names ({@code meta}), without reading them when {@code hashes} saw them unchanged: for a
     * caller that checks the same directories again and again (the registry's lookups) and loads them with
     * {@link #read}, which hashes what it loads.
     *
     * @throws ModelFormatException if a file is missing or its sha256 is not model.json's
     */
    public static void verifyWeights(Path dir, ModelMetadata meta, FileHashes hashes) throws IOException {
        requireSha256(dir, meta, hashed(dir, WEIGHTS, hashes));
        String statsSha = pixelStatsSha256(meta);
        if (statsSha != null) {
            // a version whose map statistics are gone or changed would be refused when loaded: it is not valid either
            requirePixelStatsSha256(dir, statsSha, hashed(dir, PIXEL_STATS, hashes));
        }
    }

    /** A file's sha256 through the cache; a missing file is a refused model. */
    private static String hashed(Path dir, String name, FileHashes hashes) throws IOException {
        try {
            return hashes.sha256(dir.resolve(name));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(missing(dir, name), e);
        }
    }

    /**
     * Reads the pixel statistics of a model directory, checked against the sha256 its model.json names.
     *
     * @throws ModelFormatException if model.json names none, the file is missing or its sha256 differs
     */
    public static byte[] readPixelStats(Path dir, ModelMetadata meta) throws IOException {
        String sha = pixelStatsSha256(meta);
        if (sha == null) {
            throw new ModelFormatException("model " + dir + " has no pixel statistics in model.json");
        }
        byte[] stats = readBytes(dir, PIXEL_STATS);
        requirePixelStatsSha256(dir, sha, sha256(stats));
        return stats;
    }

    /** The one check of the pixel statistics against model.json: {@code actual} is their sha256. */
    private static void requirePixelStatsSha256(Path dir, String expected, String actual) throws ModelFormatException {
        if (!actual.equalsIgnoreCase(expected)) {
            throw new ModelFormatException("model " + dir + ": sha256 of " + PIXEL_STATS + " is " + actual + " but model.json says " + expected
                    + " (file changed or corrupted)");
        }
    }

    /** The one check of the weights against model.json: {@code actual} is their sha256. */
    private static void requireSha256(Path dir, ModelMetadata meta, String actual) throws ModelFormatException {
        if (!actual.equalsIgnoreCase(meta.sha256())) {
            throw new ModelFormatException("model " + dir + ": sha256 of " + WEIGHTS + " is " + actual + " but model.json says " + meta.sha256()
                    + " (file changed or corrupted)");
        }
    }

    /** A file of the directory; a directory that {@link #write} is swapping in is waited for (a rename's time). */
    private static byte[] readBytes(Path dir, String name) throws IOException {
        for (int attempt = 1; ; attempt++) {
            AtomicFiles.awaitReplacement(dir, SWAP_WAIT_MS);
            try {
                return Files.readAllBytes(dir.resolve(name));
            } catch (NoSuchFileException e) {
                if (attempt >= 3) {
                    throw new ModelFormatException(missing(dir, name), e);
                }
            }
        }
    }

    private static String missing(Path dir, String name) {
        return "model " + dir + " has no " + name;
    }

    /** Lower-case hex sha256 of the bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

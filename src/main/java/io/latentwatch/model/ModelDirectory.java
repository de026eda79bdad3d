package io.latentwatch.model;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    private ModelDirectory() {}

    /** A model read from disk: its metadata and the network, initialised on the manager's device. */
    public static final class Loaded {
        public final ModelMetadata metadata;
        public final DipVae model;

        Loaded(ModelMetadata metadata, DipVae model) {
            this.metadata = metadata;
            this.model = model;
        }
    }

    /**
     * Writes a model directory; the files are written under temporary names and renamed into place. The sha256 in
     * the written model.json is that of the written weights.
     *
     * @return the metadata as written
     */
    public static ModelMetadata write(Path dir, DipVae model, ModelMetadata metadata) throws IOException {
        if (!metadata.config().equals(model.getConfig())) {
            throw new IllegalArgumentException("metadata config " + metadata.config() + " differs from the model's " + model.getConfig());
        }
        Files.createDirectories(dir);
        byte[] weights = SafeTensors.write(DipVaeWeights.export(model));
        ModelMetadata written = metadata.withSha256(sha256(weights));
        writeAtomically(dir.resolve(WEIGHTS), weights);
        writeAtomically(dir.resolve(MODEL_JSON), written.toJson().getBytes(StandardCharsets.UTF_8));
        return written;
    }

    /** Reads and checks model.json alone. */
    public static ModelMetadata readMetadata(Path dir) throws IOException {
        return ModelMetadata.fromJson(readFile(dir, MODEL_JSON));
    }

    /**
     * Reads a model directory and builds the network on the manager's device.
     *
     * @throws ModelFormatException if a file is missing, the sha256 differs, a tensor is missing, unexpected,
     *     mis-shaped for the config or not finite, or the weights file is truncated
     */
    public static Loaded read(Path dir, NDManager manager) throws IOException {
        ModelMetadata meta = readMetadata(dir);
        byte[] weights = readBytes(dir, WEIGHTS);
        String actual = sha256(weights);
        if (!actual.equalsIgnoreCase(meta.sha256())) {
            throw new ModelFormatException(
                    "model " + dir + ": sha256 of " + WEIGHTS + " is " + actual + " but model.json says " + meta.sha256()
                            + " (file changed or corrupted)");
        }
        Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(weights, WEIGHTS);
        DipVae model = new DipVae(meta.config()).initialize(manager);
        DipVaeWeights.load(model, tensors, WEIGHTS);
        return new Loaded(meta, model);
    }

    private static String readFile(Path dir, String name) throws IOException {
        return new String(readBytes(dir, name), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(Path dir, String name) throws IOException {
        try {
            return Files.readAllBytes(dir.resolve(name));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model " + dir + " has no " + name, e);
        }
    }

    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, content);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
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

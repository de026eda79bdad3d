package io.latentwatch.model;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;

/** Turns a PyTorch-VAE DIPVAE state_dict (safetensors) and its config.json into a model directory. */
public final class PyTorchImport {

    private PyTorchImport() {}

    /**
     * Checks the weights against the config (names, shapes, finiteness) by loading them, then writes the model
     * directory, version 1.
     */
    public static ModelMetadata importModel(Path weights, Path configJson, Path out) throws IOException {
        DipVaeConfig config;
        try {
            config = DipVaeConfig.fromJson(Files.readString(configJson));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("config file " + configJson + " does not exist", e);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson + ": " + e.getMessage(), e);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(weights);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("weights file " + weights + " does not exist", e);
        }
        String name = weights.getFileName().toString();
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            DipVae model = new DipVae(config).initialize(manager);
            DipVaeWeights.load(model, SafeTensors.read(bytes, name), name);
            JsonObject training = new JsonObject();
            training.addProperty("source", "import-pytorch");
            training.addProperty("weights", weights.toAbsolutePath().toString());
            training.addProperty("weights_sha256", ModelDirectory.sha256(bytes));
            ModelMetadata meta = new ModelMetadata(1, null, Instant.now(), config, null, training, null);
            return ModelDirectory.write(out, model, meta);
        }
    }
}

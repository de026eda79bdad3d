package io.latentwatch.registry;

import io.latentwatch.model.ModelMetadata;
import java.nio.file.Path;

/**
 * A version in a {@link ModelRegistry} whose model.json parsed and whose weights matched its sha256 when it was
 * looked up.
 *
 * @param version the version number (the directory's and model.json's)
 * @param path the version's model directory
 * @param metadata its model.json
 */
public record RegisteredModel(long version, Path path, ModelMetadata metadata) {}

package io.latentwatch.registry;

import io.latentwatch.model.ModelMetadata;
import java.nio.file.Path;

/**
 * One version directory of a {@link ModelRegistry} as {@link ModelRegistry#list()} found it.
 *
 * @param version the directory's version number
 * @param path the directory
 * @param metadata its model.json, or null if that could not be read
 * @param problem why the version would be refused (unreadable model.json, sha256 mismatch, ...), or null if valid
 * @param retired withdrawn by a rollback to an older version
 * @param pinned the registry is pinned to it
 * @param serving the version scorers serve now ({@link ModelRegistry#serving()})
 */
public record RegistryEntry(long version, Path path, ModelMetadata metadata, String problem, boolean retired, boolean pinned,
        boolean serving) {

    public boolean valid() {
        return problem == null;
    }

    /** For listings: "serving", "serving (pinned)", "available", "retired", "refused" or "pinned, refused". */
    public String status() {
        if (serving) {
            return pinned ? "serving (pinned)" : "serving";
        }
        if (!valid()) {
            return pinned ? "pinned, refused" : "refused";
        }
        return retired ? "retired" : "available";
    }
}

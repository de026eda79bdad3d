package io.latentwatch.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sha256 of files, each hashed again only when its size, modification time or identity (inode) changed: the
 * fine-tuner's watch checks the served version every half second, and its weights are megabytes. A change that leaves
 * all three alone (bit rot) is caught when the model is loaded ({@link ModelDirectory#read} hashes the bytes it reads).
 * {@link ModelDirectory#verifyWeights} takes one; its owner (a registry) keeps it for as long as it checks the same
 * files. Thread-safe.
 */
public final class FileHashes {

    private final Map<Path, Known> known = new ConcurrentHashMap<>();

    /**
     * Lower-case hex sha256 of the file's bytes.
     *
     * @throws java.nio.file.NoSuchFileException if the file is absent
     */
    public String sha256(Path file) throws IOException {
        BasicFileAttributes seen = Files.readAttributes(file, BasicFileAttributes.class);
        Known k = known.get(file);
        if (k != null && k.size == seen.size() && k.modified.equals(seen.lastModifiedTime()) && Objects.equals(k.identity, seen.fileKey())) {
            return k.sha256;
        }
        // attributes read before the bytes: a change in between makes the next call hash again
        String sha = ModelDirectory.sha256(Files.readAllBytes(file));
        known.put(file, new Known(seen.size(), seen.lastModifiedTime(), seen.fileKey(), sha));
        return sha;
    }

    private record Known(long size, FileTime modified, Object identity, String sha256) {}
}

package io.latentwatch.registry;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.latentwatch.model.AtomicFiles;
import io.latentwatch.model.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A registry's {@value #NAME}: the operator's choices, {@code pinned} (a version, or null) and {@code retired} (the
 * versions a rollback withdrew); {@code highest_version}, the highest version ever written, so that a number is not
 * reused after its directory was pruned; and {@code reference_sha256}, the sha256 of the stored reference frames (or
 * null). A missing file means none of them. Written with {@link AtomicFiles#write} (a temporary file, forced, renamed
 * over the old one, the directory forced), so a reader or a crash leaves the old or the new content, never a mix.
 */
record RegistryFile(Long pinned, SortedSet<Long> retired, long highestVersion, String referenceSha256) {

    static final String NAME = "registry.json";
    static final String FORMAT = "latentwatch-registry/1";

    RegistryFile {
        retired = Collections.unmodifiableSortedSet(new TreeSet<>(retired));
    }

    static RegistryFile empty() {
        return new RegistryFile(null, new TreeSet<>(), 0, null);
    }

    RegistryFile withPinned(Long version) {
        return new RegistryFile(version, retired, highestVersion, referenceSha256);
    }

    RegistryFile withRetired(SortedSet<Long> versions) {
        return new RegistryFile(pinned, versions, highestVersion, referenceSha256);
    }

    RegistryFile withHighestVersion(long version) {
        return new RegistryFile(pinned, retired, Math.max(highestVersion, version), referenceSha256);
    }

    RegistryFile withReferenceSha256(String sha) {
        return new RegistryFile(pinned, retired, highestVersion, sha);
    }

    /** @throws ModelFormatException if the file is not a registry file of this format */
    static RegistryFile read(Path root) throws IOException {
        Path file = root.resolve(NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return empty();
        }
        try {
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            JsonElement format = o.get("format");
            if (format == null || !FORMAT.equals(format.getAsString())) {
                throw new ModelFormatException(file + ": format is " + format + ", expected \"" + FORMAT + "\"");
            }
            JsonElement p = o.get("pinned");
            Long pinned = p == null || p.isJsonNull() ? null : p.getAsLong();
            TreeSet<Long> retired = new TreeSet<>();
            JsonElement r = o.get("retired");
            if (r != null && !r.isJsonNull()) {
                for (JsonElement v : r.getAsJsonArray()) {
                    retired.add(v.getAsLong());
                }
            }
            JsonElement h = o.get("highest_version");
            long highest = h == null || h.isJsonNull() ? 0 : h.getAsLong();
            JsonElement ref = o.get("reference_sha256");
            String referenceSha = ref == null || ref.isJsonNull() ? null : ref.getAsString();
            return new RegistryFile(pinned, retired, highest, referenceSha);
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(file + " is not a registry file (" + e.getMessage() + ")", e);
        }
    }

    void write(Path root) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.add("pinned", pinned == null ? JsonNull.INSTANCE : new JsonPrimitive(pinned));
        JsonArray r = new JsonArray();
        retired.forEach(r::add);
        o.add("retired", r);
        o.addProperty("highest_version", highestVersion);
        o.add("reference_sha256", referenceSha256 == null ? JsonNull.INSTANCE : new JsonPrimitive(referenceSha256));
        byte[] bytes = (new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(root.resolve(NAME), bytes);
    }
}

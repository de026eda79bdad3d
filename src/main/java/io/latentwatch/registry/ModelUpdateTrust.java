package io.latentwatch.registry;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Pattern;

/**
 * What a scorer believes of a {@code model-updates} record. The topic is writable by more than the job, so a record
 * only names a version; the directory it is served from is the scorer's own registry's, never a path the record
 * brings. A record is refused when
 *
 * <ul>
 *   <li>it does not parse as a model update, or a field is malformed;
 *   <li>a signing key is configured and the record is unsigned or mis-signed ({@link ModelUpdateSignature});
 *   <li>it is accepted but its path is not that version's directory of the registry, or its sha256 is not 64 hex
 *       digits;
 *   <li>on disk, the version's directory leaves the registry (a symbolic link), or is missing.
 * </ul>
 *
 * The file-system checks ({@link #resolve}) are separate from the parsing ones ({@link #parse}) so that a scorer runs
 * them off its task thread, with the load.
 */
public final class ModelUpdateTrust {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    /** Longest stretch of a record's own text that goes into a reason. */
    private static final int SHOWN = 120;

    private final Path registry;
    private final ModelUpdateSignature signature;

    /**
     * @param registry the registry directory the job was configured with
     * @param signature the signing key, or null to take unsigned records
     */
    public ModelUpdateTrust(Path registry, ModelUpdateSignature signature) {
        this.registry = registry.toAbsolutePath().normalize();
        this.signature = signature;
    }

    public Path registry() {
        return registry;
    }

    /** Why a record is not believed; {@link #getMessage()} is one line, safe to log and to publish. */
    public static final class RefusedUpdateException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Long version;

        public RefusedUpdateException(Long version, String reason) {
            super(reason, null, false, false);
            this.version = version;
        }

        /** The version the record names, if it could be read. */
        public Long version() {
            return version;
        }
    }

    /**
     * Parses a record and runs every check that needs no file.
     *
     * @return the update; a rejection (not {@link ModelUpdate#accepted()}) is returned as it is, to be ignored
     * @throws RefusedUpdateException naming the first check it fails
     */
    public ModelUpdate parse(String json) throws RefusedUpdateException {
        ModelUpdate u;
        try {
            u = ModelUpdate.fromJson(json);
        } catch (RuntimeException e) {
            throw new RefusedUpdateException(null, shown(e.getMessage()));
        }
        if (signature != null) {
            try {
                signature.verify(json, u);
            } catch (RuntimeException e) {
                throw new RefusedUpdateException(u.version(), shown(e.getMessage()));
            }
        }
        if (!u.accepted()) {
            return u;
        }
        if (u.version() < 1) {
            throw new RefusedUpdateException(u.version(), "version " + u.version() + " is not a registry version (they start at 1)");
        }
        Path expected = directory(u.version());
        Path given;
        try {
            given = Paths.get(u.path()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new RefusedUpdateException(u.version(), "path \"" + shown(u.path()) + "\" is not a file system path (" + shown(e.getReason()) + ")");
        }
        if (!given.equals(expected)) {
            throw new RefusedUpdateException(u.version(), "path \"" + shown(u.path()) + "\" is not version " + u.version()
                    + " of the registry (" + expected + "); only the registry's versions are served");
        }
        if (!SHA256.matcher(u.sha256()).matches()) {
            throw new RefusedUpdateException(u.version(), "sha256 \"" + shown(u.sha256()) + "\" is not 64 hex digits");
        }
        return u;
    }

    /**
     * The version's directory as it is on disk.
     *
     * @throws RefusedUpdateException if it is missing or a link leads out of the registry
     * @throws IOException if the file system cannot be asked
     */
    public Path resolve(long version) throws RefusedUpdateException, IOException {
        Path dir = directory(version);
        Path real;
        Path root;
        try {
            root = registry.toRealPath();
            real = dir.toRealPath();
        } catch (NoSuchFileException e) {
            throw new RefusedUpdateException(version, "the registry has no version " + version + " (" + dir + " is missing)");
        }
        if (!real.equals(root.resolve(dir.getFileName()))) {
            throw new RefusedUpdateException(version, dir + " leads out of the registry, to " + real + "; only the registry's versions are served");
        }
        return real;
    }

    /** Where the registry keeps a version. */
    public Path directory(long version) {
        return ModelRegistry.versionDirectory(registry, version);
    }

    /** A record's own text cut to a length fit for one line. */
    static String shown(String text) {
        if (text == null) {
            return "null";
        }
        String oneLine = text.replaceAll("[\\p{Cntrl}]", "?");
        return oneLine.length() > SHOWN ? oneLine.substring(0, SHOWN) + "..." : oneLine;
    }
}

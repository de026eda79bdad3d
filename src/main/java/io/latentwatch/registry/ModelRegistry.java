package io.latentwatch.registry;

import ai.djl.ndarray.NDManager;
import io.latentwatch.model.AtomicFiles;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.FileHashes;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.model.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of versioned model directories (DESIGN.md's format), the served model's history:
 *
 * <pre>
 * REGISTRY/
 *   registry.json      {"format": "latentwatch-registry/1", "pinned": null, "retired": [], "highest_version": 2,
 *                       "reference_sha256": "..."}
 *   reference.safetensors  the gate's fixed reference frames, one F32 tensor "frames" (count, values per frame)
 *   v000001/           model.json + weights.safetensors of version 1 (the initial model)
 *   v000002/           version 2, parent_version 1
 *   ...
 * </pre>
 *
 * <p>Directory names are {@code v} and the version, zero-padded to six digits so that they sort by version in a
 * listing (longer numbers get more digits). Versions are never reused: a new one is the highest version ever written
 * plus one, which is its parent's version plus one except after a rollback.
 *
 * <ul>
 *   <li>Writing: a version is written into a temporary directory ({@code .tmp-v000007-...}), its weights' sha256
 *       checked against model.json, its files forced to the device, then renamed into place in one step and the
 *       registry directory forced, so a version directory is complete or absent, after a crash too. registry.json
 *       and the reference set are replaced the same way, and pruned versions renamed aside before they are deleted
 *       ({@link AtomicFiles}). A file lock ({@code .lock}) serialises the writers: the job's fine-tuner (one) and
 *       operators' pin/rollback commands.
 *   <li>Reading: a version is served only if its model.json parses, names the directory's version, and matches its
 *       weights' sha256; a refused version is skipped, with a warning, for the newest valid one.
 *   <li>Serving: the pinned version if one is pinned (fine-tuned candidates are then refused); otherwise the newest
 *       valid version that no rollback retired.
 *   <li>Keeping: after each registration, only the newest {@code keepLast} versions that are not retired are kept,
 *       and always the pinned and the serving one; retired versions go once a newer version is registered.
 * </ul>
 *
 * Thread-safe; several instances (and processes) may open the same directory.
 */
public final class ModelRegistry {

    /** The gate's fixed reference frames, stored once. */
    public static final String REFERENCE = "reference.safetensors";

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Pattern VERSION_DIR = Pattern.compile("v(\\d{1,18})");
    private static final String LOCK = ".lock";
    /** One holder of the file lock per JVM (a JVM may not lock the same file twice). */
    private static final Object JVM_LOCK = new Object();

    private final Path root;
    private final int keepLast;
    /** The versions' weights hashed so far: the fine-tuner's watch looks the served version up every half second. */
    private final FileHashes hashes = new FileHashes();

    private ModelRegistry(Builder b) {
        this.root = b.root.toAbsolutePath().normalize();
        this.keepLast = b.keepLast;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path root() {
        return root;
    }

    public int keepLast() {
        return keepLast;
    }

    /** The directory of a version (whether or not it exists): REGISTRY/v000007. */
    public Path path(long version) {
        return versionDirectory(root, version);
    }

    /** Where a registry rooted at {@code root} keeps a version: ROOT/v000007. */
    public static Path versionDirectory(Path root, long version) {
        return root.resolve(String.format("v%06d", version));
    }

    /** The pinned version, if any. */
    public OptionalLong pinned() throws IOException {
        Long p = RegistryFile.read(root).pinned();
        return p == null ? OptionalLong.empty() : OptionalLong.of(p);
    }

    /** The version numbers present, ascending (valid or not). */
    public List<Long> versions() throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path d : dirs) {
                Matcher m = VERSION_DIR.matcher(d.getFileName().toString());
                if (m.matches() && Files.isDirectory(d)) {
                    out.add(Long.parseLong(m.group(1)));
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /**
     * A version, checked: model.json parses and names this version, and the weights match its sha256.
     *
     * @throws IllegalArgumentException if the registry has no such version
     * @throws ModelFormatException if the version is refused; the message names the problem
     */
    public RegisteredModel get(long version) throws IOException {
        Path dir = path(version);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("registry " + root + " has no version " + version);
        }
        ModelMetadata meta = ModelDirectory.readMetadata(dir);
        if (meta.version() != version) {
            throw new ModelFormatException("model " + dir + ": model.json says version " + meta.version() + ", the directory is version " + version);
        }
        ModelDirectory.verifyWeights(dir, meta, hashes);
        return new RegisteredModel(version, dir, meta);
    }

    /** The newest valid version that no rollback retired, skipping (and logging) refused ones. */
    public Optional<RegisteredModel> latest() throws IOException {
        RegistryFile file = RegistryFile.read(root);
        for (long v : descending(versions())) {
            if (!file.retired().contains(v)) {
                Optional<RegisteredModel> m = tryGet(v);
                if (m.isPresent()) {
                    return m;
                }
            }
        }
        return Optional.empty();
    }

    /** The version scorers should serve: the pinned one if it is valid, else {@link #latest()}. */
    public Optional<RegisteredModel> serving() throws IOException {
        Long pinned = RegistryFile.read(root).pinned();
        if (pinned != null) {
            Optional<RegisteredModel> m = tryGet(pinned);
            if (m.isPresent()) {
                return m;
            }
            LOG.warn("registry {}: pinned version {} is refused; serving the newest valid version instead", root, pinned);
        }
        return latest();
    }

    private Optional<RegisteredModel> tryGet(long version) {
        try {
            return Optional.of(get(version));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("registry {}: skipping version {}: {}", root, version, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Reads a version into a network on the manager's device, with every check of {@link ModelDirectory#read}.
     *
     * @throws IllegalArgumentException if the registry has no such version
     * @throws ModelFormatException if it is refused
     */
    public ModelDirectory.Loaded load(long version, NDManager manager) throws IOException {
        RegisteredModel m = get(version);
        return ModelDirectory.read(m.path(), manager);
    }

    /**
     * Reads the version to serve: the pinned one, else the newest not retired; a version that is refused on load is
     * skipped for the next older one.
     *
     * @throws ModelFormatException if no version can be served; the message lists each refusal
     */
    public ModelDirectory.Loaded loadServing(NDManager manager) throws IOException {
        RegistryFile file = RegistryFile.read(root);
        List<Long> order = new ArrayList<>();
        if (file.pinned() != null) {
            order.add(file.pinned());
        }
        for (long v : descending(versions())) {
            if (!file.retired().contains(v) && !order.contains(v)) {
                order.add(v);
            }
        }
        List<String> refusals = new ArrayList<>();
        for (long v : order) {
            try {
                return load(v, manager);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("registry {}: skipping version {}: {}", root, v, e.getMessage());
                refusals.add("version " + v + ": " + e.getMessage());
            }
        }
        throw new ModelFormatException("registry " + root + " has no version that can be served"
                + (refusals.isEmpty() ? " (it is empty)" : ": " + String.join("; ", refusals)));
    }

    /** Every version directory, ascending, with what a lookup would say about it. */
    public List<RegistryEntry> list() throws IOException {
        RegistryFile file = RegistryFile.read(root);
        Optional<RegisteredModel> serving = serving();
        List<RegistryEntry> out = new ArrayList<>();
        for (long v : versions()) {
            ModelMetadata meta = null;
            String problem = null;
            try {
                meta = get(v).metadata();
            } catch (IOException | IllegalArgumentException e) {
                problem = e.getMessage();
                try {
                    meta = ModelDirectory.readMetadata(path(v));
                } catch (IOException ignored) {
                    // the problem already says why
                }
            }
            Long pinned = file.pinned();
            out.add(new RegistryEntry(v, path(v), meta, problem, file.retired().contains(v), pinned != null && pinned == v,
                    serving.isPresent() && serving.get().version() == v));
        }
        return out;
    }

    /**
     * Registers the initial model of an empty registry: copies the model directory (checked: model.json parses, the
     * weights match its sha256) as its own version.
     *
     * @throws IllegalStateException if the registry already holds a version
     * @throws ModelFormatException if the directory is refused
     */
    public ModelUpdate adopt(Path modelDirectory) throws IOException {
        ModelMetadata meta = ModelDirectory.readMetadata(modelDirectory);
        byte[] weights = ModelDirectory.readWeights(modelDirectory, meta);
        byte[] json = Files.readAllBytes(modelDirectory.resolve(ModelDirectory.MODEL_JSON));
        Map<String, byte[]> files = new HashMap<>(Map.of(ModelDirectory.WEIGHTS, weights, ModelDirectory.MODEL_JSON, json));
        String statsSha = ModelDirectory.pixelStatsSha256(meta);
        if (statsSha != null) {
            byte[] stats = ModelDirectory.readPixelStats(modelDirectory, meta);
            files.put(ModelDirectory.PIXEL_STATS, stats);
        }
        return locked(() -> {
            if (!versions().isEmpty()) {
                throw new IllegalStateException("registry " + root + " already holds versions " + versions()
                        + "; the initial model is adopted into an empty registry only");
            }
            Path target = path(meta.version());
            AtomicFiles.deleteLeftovers(root);
            requireNew(target);
            AtomicFiles.writeDirectory(target, files);
            RegistryFile.read(root).withHighestVersion(meta.version()).write(root);
            // the weights matched model.json's sha256 up to case; the record carries the hash's lower-case hex
            return new ModelUpdate(meta.version(), meta.parentVersion(), target.toString(), meta.sha256().toLowerCase(Locale.ROOT), true,
                    "initial model from " + modelDirectory.toAbsolutePath().normalize(), null, null, Instant.now());
        });
    }

    /**
     * Registers a candidate that was judged fit to serve: it is written as the next version (parent_version = the
     * serving model's version, the acceptance's calibration and training summary), checked and renamed into place,
     * then old versions are pruned. Refused without writing: a candidate registered while the registry is pinned, and
     * one whose parent is no longer the serving version (a rollback or another version came in meanwhile). A failed
     * write is a rejection too. Never throws for those: every outcome is a {@link ModelUpdate}. A candidate that was
     * judged unfit never comes here; its judge writes its rejection.
     *
     * @param candidate the fine-tuned network
     * @param parent the metadata of the serving model it was fine-tuned from
     * @param acceptance what the candidate's version and its record say besides the network
     */
    public ModelUpdate register(DipVae candidate, ModelMetadata parent, Acceptance acceptance) {
        try {
            return locked(() -> {
                RegistryFile file = RegistryFile.read(root);
                if (file.pinned() != null) {
                    return rejected(parent, acceptance, "registry is pinned to version " + file.pinned() + "; candidates are refused until it is unpinned");
                }
                Optional<RegisteredModel> serving = serving();
                if (serving.isEmpty() || serving.get().version() != parent.version()) {
                    return rejected(parent, acceptance, "the candidate's parent, version " + parent.version() + ", is no longer served (now "
                            + serving.map(m -> "version " + m.version()).orElse("none") + ")");
                }
                long version = nextVersion(file);
                ModelMetadata meta = new ModelMetadata(version, parent.version(), Instant.now(), parent.config(), acceptance.calibration(),
                        acceptance.training(), null);
                Path target = path(version);
                AtomicFiles.deleteLeftovers(root);
                requireNew(target);
                Path staged = AtomicFiles.stagingDirectory(target);
                ModelMetadata written;
                try {
                    written = ModelDirectory.write(staged, candidate, meta, inheritedPixelStats(serving.get(), meta));
                    ModelDirectory.readWeights(staged, written); // read back: the weights file holds what model.json names
                    AtomicFiles.replaceDirectory(staged, target);
                } finally {
                    AtomicFiles.deleteTree(staged);
                }
                RegistryFile now = RegistryFile.read(root).withHighestVersion(version);
                now.write(root);
                prune(now);
                return new ModelUpdate(version, parent.version(), target.toString(), written.sha256(), true, acceptance.reason(),
                        acceptance.valLossBefore(), acceptance.valLossAfter(), written.createdAt());
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("registry {}: could not register a candidate of version {}", root, parent.version(), e);
            return rejected(parent, acceptance, "could not write the candidate to the registry: " + e);
        }
    }

    /**
     * The parent's anomaly-map pixel statistics where the candidate's calibration names them (a recalibration keeps
     * the parent's map state and refits its thresholds), checked against that name; null where it names none.
     */
    private static byte[] inheritedPixelStats(RegisteredModel parent, ModelMetadata candidate) throws IOException {
        String sha = ModelDirectory.pixelStatsSha256(candidate);
        if (sha == null) {
            return null;
        }
        if (!sha.equalsIgnoreCase(ModelDirectory.pixelStatsSha256(parent.metadata()))) {
            throw new ModelFormatException("the candidate's calibration names pixel statistics of sha256 " + sha + ", which the parent "
                    + parent.path() + " does not hold");
        }
        return ModelDirectory.readPixelStats(parent.path(), parent.metadata());
    }

    private static ModelUpdate rejected(ModelMetadata parent, Acceptance acceptance, String reason) {
        return ModelUpdate.rejected(parent.version(), reason, acceptance.valLossBefore(), acceptance.valLossAfter(), Instant.now());
    }

    /**
     * Pins a valid version: it is served until {@link #unpin()}, whatever is newer, and candidates are refused.
     *
     * @throws IllegalArgumentException if there is no such version
     * @throws ModelFormatException if the version is refused
     */
    public ModelUpdate pin(long version) throws IOException {
        return locked(() -> {
            RegisteredModel m = get(version);
            RegistryFile.read(root).withPinned(version).write(root);
            return served(m, "pinned by an operator: version " + version + " is served until unpinned");
        });
    }

    /**
     * Removes the pin; the newest valid version that is not retired is served again.
     *
     * @throws IllegalStateException if nothing is pinned, or no version can then be served
     */
    public ModelUpdate unpin() throws IOException {
        return locked(() -> {
            RegistryFile file = RegistryFile.read(root);
            if (file.pinned() == null) {
                throw new IllegalStateException("registry " + root + " is not pinned");
            }
            file.withPinned(null).write(root);
            RegisteredModel m = latest().orElseThrow(() -> new IllegalStateException("unpinned, but registry " + root + " has no valid version to serve"));
            return served(m, "unpinned by an operator (was version " + file.pinned() + "): the newest version, " + m.version() + ", is served");
        });
    }

    /**
     * Serves an older (or retired) valid version as the newest: every version above it is retired, every version up
     * to it is not. The next fine-tune starts from it.
     *
     * @throws IllegalArgumentException if there is no such version, or the registry is pinned (unpin first)
     * @throws ModelFormatException if the version is refused
     */
    public ModelUpdate rollback(long version) throws IOException {
        return locked(() -> {
            RegistryFile file = RegistryFile.read(root);
            if (file.pinned() != null) {
                throw new IllegalArgumentException("registry " + root + " is pinned to version " + file.pinned()
                        + "; unpin it first (or pin the version to serve)");
            }
            RegisteredModel m = get(version);
            SortedSet<Long> retired = new TreeSet<>();
            for (long v : versions()) {
                if (v > version) {
                    retired.add(v);
                }
            }
            file.withRetired(retired).write(root);
            String withdrawn = retired.isEmpty() ? "nothing newer to withdraw"
                    : "withdrew " + retired.stream().map(String::valueOf).collect(Collectors.joining(", "));
            return served(m, "rolled back by an operator to version " + version + " (" + withdrawn + ")");
        });
    }

    /**
     * Stores the validation gate's fixed reference set (normal frames from the model's training) beside the
     * versions, once, so that every fine-tune after a restart is judged on the same frames.
     *
     * @param frames normalised frames, all of one size, finite
     * @throws IllegalStateException if the registry already holds a reference set
     * @throws IllegalArgumentException if there are no frames, or they differ in size or hold a value that is not finite
     */
    public void writeReferenceFrames(List<float[]> frames) throws IOException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a reference set needs at least one frame");
        }
        int fv = frames.get(0).length;
        float[] flat = new float[Math.multiplyExact(frames.size(), fv)];
        for (int i = 0; i < frames.size(); i++) {
            float[] f = frames.get(i);
            if (f.length != fv) {
                throw new IllegalArgumentException("reference frame " + i + " has " + f.length + " values, frame 0 has " + fv);
            }
            for (float v : f) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("reference frame " + i + " holds " + v + " (frames must be finite)");
                }
            }
            System.arraycopy(f, 0, flat, i * fv, fv);
        }
        byte[] bytes = SafeTensors.write(Map.of("frames", SafeTensors.Tensor.f32(new long[] {frames.size(), fv}, flat)));
        locked(() -> {
            RegistryFile file = RegistryFile.read(root);
            Path target = root.resolve(REFERENCE);
            if (file.referenceSha256() != null || Files.exists(target)) {
                throw new IllegalStateException("registry " + root + " already holds a reference set; it is fixed once written");
            }
            AtomicFiles.write(target, bytes);
            file.withReferenceSha256(ModelDirectory.sha256(bytes)).write(root);
            return null;
        });
    }

    /** Whether a reference set was stored (registry.json says so; its file is checked by {@link #referenceFrames()}). */
    public boolean hasReferenceFrames() throws IOException {
        return RegistryFile.read(root).referenceSha256() != null;
    }

    /**
     * The stored reference set, if one was written.
     *
     * @throws ModelFormatException if the file does not match the sha256 recorded when it was written, or is malformed
     */
    public Optional<List<float[]>> referenceFrames() throws IOException {
        RegistryFile file = RegistryFile.read(root);
        Path path = root.resolve(REFERENCE);
        if (file.referenceSha256() == null) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("registry " + root + " records a reference set but has no " + REFERENCE, e);
        }
        String actual = ModelDirectory.sha256(bytes);
        if (!actual.equalsIgnoreCase(file.referenceSha256())) {
            throw new ModelFormatException("registry " + root + ": sha256 of " + REFERENCE + " is " + actual + " but registry.json says "
                    + file.referenceSha256() + " (file changed or corrupted)");
        }
        SafeTensors.Tensor t = SafeTensors.read(bytes, REFERENCE).get("frames");
        if (t == null || !"F32".equals(t.dtype) || t.shape.length != 2) {
            throw new ModelFormatException(REFERENCE + " must hold one F32 tensor \"frames\" of shape (count, values per frame)");
        }
        float[] flat = t.floats();
        int n = Math.toIntExact(t.shape[0]);
        int fv = Math.toIntExact(t.shape[1]);
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Arrays.copyOfRange(flat, i * fv, (i + 1) * fv));
        }
        return Optional.of(out);
    }

    private static ModelUpdate served(RegisteredModel m, String reason) {
        return ModelUpdate.serve(m, reason, Instant.now());
    }

    /** The highest version ever written (or present, retired or pinned), plus one. */
    private long nextVersion(RegistryFile file) throws IOException {
        long max = file.highestVersion();
        for (long v : versions()) {
            max = Math.max(max, v);
        }
        if (!file.retired().isEmpty()) {
            max = Math.max(max, file.retired().last());
        }
        if (file.pinned() != null) {
            max = Math.max(max, file.pinned());
        }
        return max + 1;
    }

    /**
     * Deletes every version but the newest {@code keepLast} that are not retired, the pinned one and the serving one
     * (retired versions go too). {@link #register} runs it after each new version; an operator may run it after a
     * pin or rollback.
     */
    public void prune() throws IOException {
        locked(() -> {
            prune(RegistryFile.read(root));
            return null;
        });
    }

    private void prune(RegistryFile file) throws IOException {
        List<Long> keep = new ArrayList<>();
        for (long v : descending(versions())) {
            if (!file.retired().contains(v) && keep.size() < keepLast) {
                keep.add(v);
            }
        }
        if (file.pinned() != null) {
            keep.add(file.pinned());
        }
        serving().ifPresent(m -> keep.add(m.version()));
        SortedSet<Long> retired = new TreeSet<>(file.retired());
        for (long v : versions()) {
            if (!keep.contains(v)) {
                AtomicFiles.deleteDirectory(path(v));
                retired.remove(v);
                LOG.info("registry {}: deleted version {} (keeping the newest {})", root, v, keepLast);
            }
        }
        if (!retired.equals(file.retired())) {
            file.withRetired(retired).write(root);
        }
    }

    /** Versions are never rewritten: a version directory that is there already is a bug or another writer's. */
    private static void requireNew(Path target) throws IOException {
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "version directory exists already");
        }
    }

    private static List<Long> descending(List<Long> ascending) {
        List<Long> out = new ArrayList<>(ascending);
        out.sort(Comparator.reverseOrder());
        return out;
    }

    /** Work that must not interleave with another writer's, in this JVM or another process. */
    private interface Locked<T> {
        T run() throws IOException;
    }

    private <T> T locked(Locked<T> work) throws IOException {
        synchronized (JVM_LOCK) {
            try (FileChannel channel = FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                return work.run();
            }
        }
    }

    /** Settings of a registry: its directory (required) and how many versions to keep. */
    public static final class Builder {
        private Path root;
        private int keepLast = 10;

        private Builder() {}

        /** The registry's directory; created if missing (required). */
        public Builder setRoot(Path root) {
            this.root = root;
            return this;
        }

        /** Versions kept (not counting retired ones), besides the pinned and serving ones (default 10). */
        public Builder optKeepLast(int versions) {
            this.keepLast = versions;
            return this;
        }

        /** @throws UncheckedIOException if the directory cannot be created */
        public ModelRegistry build() {
            if (root == null) {
                throw new IllegalArgumentException("registry directory must be set");
            }
            if (keepLast < 1) {
                throw new IllegalArgumentException("keep-last must be at least 1, got " + keepLast);
            }
            try {
                Files.createDirectories(root);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create registry directory " + root, e);
            }
            return new ModelRegistry(this);
        }
    }
}

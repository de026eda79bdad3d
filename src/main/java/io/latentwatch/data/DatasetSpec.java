package io.latentwatch.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Objects;

/**
 * A dataset named on the command line (DESIGN.md, {@code latentwatch train}):
 *
 * <ul>
 *   <li>{@code fashion-mnist:CLASS}: one Fashion-MNIST class, CLASS 0-9 or a name ({@code sneaker},
 *       {@code ankle-boot}, {@code t-shirt}, ...)
 *   <li>{@code mnist:DIGIT}: one MNIST digit, 0-9
 *   <li>{@code synthetic}: the default synthetic camera's first {@value SyntheticDataset#DEFAULT_COUNT} frames,
 *       normal only
 *   <li>anything else: a folder of images (PNG, JPEG, BMP, searched recursively), which must exist
 * </ul>
 *
 * The names are matched without case and win over a folder of the same name (write {@code ./synthetic} for that).
 * Parsing checks everything it can without reading data; {@link #open()} reads it.
 */
public final class DatasetSpec {

    /** The accepted forms, for help texts and error messages. */
    public static final String FORMS = "fashion-mnist:CLASS (0-9 or a class name such as sneaker), mnist:DIGIT (0-9), "
            + "synthetic, or an image folder";

    public enum Kind {
        FASHION_MNIST,
        MNIST,
        SYNTHETIC,
        FOLDER
    }

    private final Kind kind;
    private final int classIndex;
    private final Path folder;

    private DatasetSpec(Kind kind, int classIndex, Path folder) {
        this.kind = kind;
        this.classIndex = classIndex;
        this.folder = folder;
    }

    /**
     * Parses a spec.
     *
     * @throws IllegalArgumentException with one line naming the known datasets (or classes) when the spec is
     *     empty, names an unknown dataset or class, or is a path that is not an existing folder
     */
    public static DatasetSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty dataset spec; expected " + FORMS);
        }
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        int colon = lower.indexOf(':');
        String name = colon < 0 ? lower : lower.substring(0, colon);
        String arg = colon < 0 ? null : s.substring(colon + 1).trim();
        switch (name) {
            case FashionMnist.NAME:
                return new DatasetSpec(Kind.FASHION_MNIST, FashionMnist.classIndex(requireClass(spec, name, arg)), null);
            case Mnist.NAME:
                return new DatasetSpec(Kind.MNIST, Mnist.classIndex(requireClass(spec, name, arg)), null);
            case "synthetic":
                if (arg != null) {
                    throw new IllegalArgumentException("dataset spec '" + spec + "': synthetic takes no argument; expected " + FORMS);
                }
                return new DatasetSpec(Kind.SYNTHETIC, -1, null);
            default:
                return folder(spec, s);
        }
    }

    private static String requireClass(String spec, String name, String arg) {
        if (arg == null || arg.isEmpty()) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': " + name + " needs a class, "
                    + (name.equals(Mnist.NAME) ? "mnist:DIGIT (0-9)" : "fashion-mnist:CLASS (0-9 or one of "
                            + String.join(", ", FashionMnist.CLASSES) + ")"));
        }
        return arg;
    }

    private static DatasetSpec folder(String spec, String s) {
        Path p = Paths.get(s);
        if (Files.isDirectory(p)) {
            return new DatasetSpec(Kind.FOLDER, -1, p.toAbsolutePath().normalize());
        }
        if (Files.exists(p)) {
            throw new IllegalArgumentException("dataset spec '" + spec + "' is a file, not an image folder; expected " + FORMS);
        }
        throw new IllegalArgumentException("unknown dataset '" + spec + "' (and no such folder); expected " + FORMS);
    }

    public Kind kind() {
        return kind;
    }

    /** The Fashion-MNIST class or MNIST digit; −1 for the other kinds. */
    public int classIndex() {
        return classIndex;
    }

    /** The image folder, absolute; null for the other kinds. */
    public Path folder() {
        return folder;
    }

    /** Reads the dataset, cached sets from {@link DatasetCache#dir()}. */
    public ImageDataset open() throws IOException {
        return open(DatasetCache.dir());
    }

    /**
     * Reads the dataset, cached sets from the given cache folder.
     *
     * @throws java.io.FileNotFoundException if a cached set is not there; the message says how to fetch it
     * @throws IllegalArgumentException if an image folder holds no readable image
     */
    public ImageDataset open(Path cacheDir) throws IOException {
        return switch (kind) {
            case FASHION_MNIST -> FashionMnist.load(cacheDir, classIndex);
            case MNIST -> Mnist.load(cacheDir, classIndex);
            case SYNTHETIC -> SyntheticDataset.normal(SyntheticDataset.DEFAULT_COUNT);
            case FOLDER -> ImageFolderDataset.open(folder);
        };
    }

    /** The canonical spec, which parses back to an equal one: {@code fashion-mnist:7}, {@code mnist:3}, ... */
    @Override
    public String toString() {
        return switch (kind) {
            case FASHION_MNIST -> FashionMnist.NAME + ":" + classIndex;
            case MNIST -> Mnist.NAME + ":" + classIndex;
            case SYNTHETIC -> "synthetic";
            case FOLDER -> folder.toString();
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSpec d && d.kind == kind && d.classIndex == classIndex && Objects.equals(d.folder, folder);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, classIndex, folder);
    }
}

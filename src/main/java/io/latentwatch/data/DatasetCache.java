package io.latentwatch.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the downloaded datasets live and how they are read back. Each set has a folder
 * {@code <cache>/<name>/} with {@value #IMAGES_FILE} (uint8, count × 28 × 28) and {@value #LABELS_FILE} (uint8,
 * count class numbers), in the IDX format of the original MNIST files, written once by
 * {@code scripts/fetch-datasets.sh} through {@link DatasetConverter}.
 *
 * <p>The cache folder is, in order: the system property {@value #DIR_PROPERTY}, the environment variable
 * {@value #DIR_ENV}, else {@code .cache/datasets} of the project checkout the classes were loaded from (the folder
 * with pom.xml above target/), else of the working directory. The repository's .gitignore keeps .cache/ out of git.
 */
public final class DatasetCache {

    public static final String DIR_PROPERTY = "latentwatch.data.dir";
    public static final String DIR_ENV = "LATENTWATCH_DATA_DIR";
    public static final String IMAGES_FILE = "images.idx3-ubyte";
    public static final String LABELS_FILE = "labels.idx1-ubyte";

    /** How to fill the cache, appended to every "not cached" message. */
    static final String HOW_TO_FETCH =
            "run scripts/fetch-datasets.sh (needs npm and network once), or set " + DIR_ENV + " to a folder that holds it";

    private DatasetCache() {}

    /** The cache folder (it may not exist yet). */
    public static Path dir() {
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(DIR_ENV);
        }
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        return projectDir().resolve(".cache").resolve("datasets");
    }

    /** Whether the cache folder holds both files of the set {@code name} ("fashion-mnist", "mnist"). */
    public static boolean isCached(Path cacheDir, String name) {
        Path d = cacheDir.resolve(name);
        return Files.isRegularFile(d.resolve(IMAGES_FILE)) && Files.isRegularFile(d.resolve(LABELS_FILE));
    }

    /**
     * Loads the items of the given classes (all classes when none are given) in cache order.
     *
     * @throws FileNotFoundException if the set is not in the cache; the message says how to fetch it
     * @throws IOException if the cached files are damaged (bad header, truncated, labels out of range)
     */
    static GrayImageDataset read(Path cacheDir, CachedSet set, int... classes) throws IOException {
        int classCount = set.classNames().size();
        boolean[] wanted = new boolean[classCount];
        for (int c : classes) {
            if (c < 0 || c >= classCount) {
                throw new IllegalArgumentException(set.title() + " has classes 0 to " + (classCount - 1) + ", got " + c);
            }
            wanted[c] = true;
        }
        if (classes.length == 0) {
            Arrays.fill(wanted, true);
        }
        Path dir = cacheDir.resolve(set.name());
        if (!isCached(cacheDir, set.name())) {
            throw new FileNotFoundException(set.title() + " is not in the dataset cache (no " + dir.resolve(IMAGES_FILE)
                    + " and " + LABELS_FILE + "); " + HOW_TO_FETCH);
        }
        Path imagesFile = dir.resolve(IMAGES_FILE);
        byte[] labels = IdxFormat.readAll(dir.resolve(LABELS_FILE), 1);
        int[] selected = new int[labels.length];
        int[] numbers = new int[labels.length];
        int[] seen = new int[classCount];
        int count = 0;
        for (int i = 0; i < labels.length; i++) {
            int c = labels[i] & 0xff;
            if (c >= classCount) {
                throw new IOException(dir.resolve(LABELS_FILE) + ": label " + c + " at item " + i + " is not a class of " + set.title());
            }
            if (wanted[c]) {
                selected[count] = i;
                numbers[count++] = seen[c];
            }
            seen[c]++;
        }
        selected = Arrays.copyOf(selected, count);
        numbers = Arrays.copyOf(numbers, count);
        int[] dims = imageDims(imagesFile, labels.length);
        byte[] pixels = IdxFormat.readItems(imagesFile, 3, selected);
        int[] itemClasses = new int[count];
        for (int i = 0; i < count; i++) {
            itemClasses[i] = labels[selected[i]] & 0xff;
        }
        if (count == 0) {
            throw new IOException(dir + " holds no images of " + describeClasses(set, classes));
        }
        String description = String.format("%s %s: %d gray %dx%d images", set.title(), describeClasses(set, classes), count, dims[1], dims[2]);
        return new GrayImageDataset(set, description, dims[1], pixels, itemClasses, numbers);
    }

    /** Checks the images file's header against the labels: same count, square images. */
    private static int[] imageDims(Path imagesFile, int labelCount) throws IOException {
        try (FileChannel ch = FileChannel.open(imagesFile)) {
            int[] dims = IdxFormat.header(ch, imagesFile).dims();
            if (dims.length != 3 || dims[0] != labelCount || dims[1] != dims[2] || dims[1] == 0) {
                throw new IOException(imagesFile + ": expected " + labelCount + " square images, found dimensions " + Arrays.toString(dims));
            }
            return dims;
        }
    }

    private static String describeClasses(CachedSet set, int[] classes) {
        if (classes.length == 0) {
            return "(all " + set.classNames().size() + " classes)";
        }
        List<String> parts = new ArrayList<>();
        for (int c : classes) {
            String name = set.classNames().get(c);
            parts.add(name.equals(Integer.toString(c)) ? name : c + " (" + name + ")");
        }
        return (classes.length == 1 ? "class " : "classes ") + String.join(", ", parts);
    }

    /** The checkout the classes come from: the first of three ancestors of target/classes or the jar with a pom.xml. */
    private static Path projectDir() {
        try {
            CodeSource source = DatasetCache.class.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                Path p = Paths.get(source.getLocation().toURI()).toAbsolutePath();
                for (int up = 0; up < 3 && p != null; up++, p = p.getParent()) {
                    if (Files.isRegularFile(p.resolve("pom.xml"))) {
                        return p;
                    }
                }
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // an unusual class loader: fall back to the working directory
        }
        return Paths.get("").toAbsolutePath();
    }
}

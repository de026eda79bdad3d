package io.latentwatch.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * 8-bit gray square images with class labels, held in memory (Fashion-MNIST and MNIST: 28 × 28, 784 bytes an
 * image, so a class of 7,000 takes 5.5 MB).
 */
public final class GrayImageDataset implements ImageDataset {

    private final CachedSet set;
    private final String description;
    private final int side;
    private final byte[] pixels;
    private final int[] classes;
    private final int[] numbers;

    /**
     * @param pixels count × side × side values, row-major
     * @param classes each item's class number
     * @param numbers each item's number within its class in the cache (stable across loads; used in names)
     */
    GrayImageDataset(CachedSet set, String description, int side, byte[] pixels, int[] classes, int[] numbers) {
        if (pixels.length != classes.length * side * side || numbers.length != classes.length) {
            throw new IllegalArgumentException("pixels, classes and numbers disagree on the item count");
        }
        this.set = set;
        this.description = description;
        this.side = side;
        this.pixels = pixels;
        this.classes = classes;
        this.numbers = numbers;
    }

    @Override
    public int size() {
        return classes.length;
    }

    /** {@code fashion-mnist:sneaker#12}: the set, the class name and the item's number within its class. */
    @Override
    public String name(int index) {
        return set.name() + ":" + label(index) + "#" + numbers[index];
    }

    /** The class name ("sneaker", "7"). */
    @Override
    public String label(int index) {
        return set.classNames().get(classIndex(index));
    }

    /** The class number, 0 to 9. */
    public int classIndex(int index) {
        return classes[Objects.checkIndex(index, classes.length)];
    }

    /**
     * The item's number within its class in the cache, from 0 (stable across loads). For Fashion-MNIST, numbers
     * 0–5,999 of a class are its training images and 6,000–6,999 its test images.
     */
    public int numberInClass(int index) {
        return numbers[Objects.checkIndex(index, numbers.length)];
    }

    /** The set's class names by class number. */
    public List<String> classNames() {
        return set.classNames();
    }

    /** The raw 8-bit values of one item, side × side, row-major (a copy). */
    public byte[] pixels(int index) {
        int n = side * side;
        int from = Objects.checkIndex(index, classes.length) * n;
        return Arrays.copyOfRange(pixels, from, from + n);
    }

    /** The items at the given indices, in that order, as a new dataset with the given description (pixels copied). */
    GrayImageDataset select(int[] indices, String newDescription) {
        int n = side * side;
        byte[] px = new byte[indices.length * n];
        int[] cls = new int[indices.length];
        int[] num = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int from = Objects.checkIndex(indices[i], classes.length);
            System.arraycopy(pixels, from * n, px, i * n, n);
            cls[i] = classes[from];
            num[i] = numbers[from];
        }
        return new GrayImageDataset(set, newDescription, side, px, cls, num);
    }

    @Override
    public BufferedImage image(int index) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        // raw samples, so that the normaliser reads the stored values unchanged
        byte[] raster = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(pixels, Objects.checkIndex(index, classes.length) * raster.length, raster, 0, raster.length);
        return img;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int imageSize() {
        return side;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }
}

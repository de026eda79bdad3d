package io.latentwatch.data;

import java.awt.image.BufferedImage;
import java.util.Objects;

/** A contiguous range of another dataset's items (train/validation splits), without copying. */
final class DatasetSlice implements ImageDataset {

    private final ImageDataset source;
    private final int from;
    private final int size;

    DatasetSlice(ImageDataset source, int from, int to) {
        Objects.checkFromToIndex(from, to, source.size());
        this.source = source;
        this.from = from;
        this.size = to - from;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public String name(int index) {
        return source.name(at(index));
    }

    @Override
    public String label(int index) {
        return source.label(at(index));
    }

    @Override
    public BufferedImage image(int index) {
        return source.image(at(index));
    }

    @Override
    public void normalise(int index, int channels, int size, float[] out, int offset) {
        source.normalise(at(index), channels, size, out, offset);
    }

    @Override
    public int channels() {
        return source.channels();
    }

    @Override
    public int imageSize() {
        return source.imageSize();
    }

    @Override
    public String description() {
        return source.description() + ", items [" + from + ", " + (from + size) + ")";
    }

    private int at(int index) {
        return from + Objects.checkIndex(index, size);
    }

    @Override
    public String toString() {
        return description();
    }
}

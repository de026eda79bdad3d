package io.latentwatch.data;

import io.latentwatch.frames.ImageFrames;
import java.awt.image.BufferedImage;

/**
 * A fixed, indexed set of images for training and evaluation. Items are numbered 0 to size() − 1, and the same
 * index always gives the same image. Implementations are read-only after construction and safe to share between
 * threads.
 *
 * <p>Models take {@link #normalise(int, int, int, float[], int) normalised} values: channels × size × size floats in
 * [−1, 1], converted and resized by {@link ImageFrames}, so a grayscale dataset can feed a colour model and the
 * other way round.
 */
public interface ImageDataset {

    /** Number of items. */
    int size();

    /**
     * A short identifier of one item, unique within the dataset: a path relative to the folder for an image
     * folder, {@code fashion-mnist:sneaker#12} for a cached set, {@code synthetic#42} for camera frames.
     */
    String name(int index);

    /**
     * The item's class: the sub-folder for an image folder ("" for files at its top), the class name for
     * Fashion-MNIST ("sneaker") and MNIST ("7"), the anomaly kind's label for synthetic frames ("none",
     * "scratch").
     */
    String label(int index);

    /**
     * The item's image as stored (8-bit gray or RGB, its own size).
     *
     * @throws java.io.UncheckedIOException if a file cannot be decoded (an image folder reads only the headers when
     *     it is opened), with the reason
     */
    BufferedImage image(int index);

    /** 1 when every image is gray, 3 when some are colour. */
    int channels();

    /** The side of the images when all are square and of one size, else 0. */
    int imageSize();

    /** One line for logs and progress output, e.g. "Fashion-MNIST class 7 (sneaker): 7000 gray 28x28 images". */
    String description();

    /**
     * Writes item {@code index} as model input: channels × size × size values in [−1, 1] at {@code offset}.
     *
     * @param channels 1 (luma) or 3 (RGB)
     */
    default void normalise(int index, int channels, int size, float[] out, int offset) {
        ImageFrames.normalise(image(index), channels, size, out, offset);
    }

    /** Item {@code index} as model input, a new array of channels × size × size values in [−1, 1]. */
    default float[] normalise(int index, int channels, int size) {
        float[] out = new float[channels * size * size];
        normalise(index, channels, size, out, 0);
        return out;
    }

    /** The items from {@code from} (inclusive) to {@code to} (exclusive) as a dataset of their own, a view. */
    default ImageDataset slice(int from, int to) {
        return new DatasetSlice(this, from, to);
    }
}

package io.latentwatch.training;

import io.latentwatch.data.ImageDataset;
import io.latentwatch.data.ImageFolderDataset;
import io.latentwatch.frames.ImageReading;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Frames converted once to model input and kept in memory: count × channels × size × size floats in [−1, 1], one
 * frame after another (what {@link io.latentwatch.scoring.BatchScorer#score} and
 * {@link DipVaeTrainer#step} take). Converting once matters: a camera frame takes about a millisecond to draw and
 * a folder image must be decoded, while an epoch reads each frame again.
 *
 * <p>An item whose image cannot be read while loading is left out and counted in {@link #skipped()}, together with
 * the files an {@link ImageFolderDataset} already skipped when it was opened. Immutable after loading.
 */
public final class NormalisedFrames {

    /** Heap share the frames may take; more gets a clear error instead of an OutOfMemoryError mid-run. */
    private static final double MAX_HEAP_SHARE = 0.6;

    private final float[] values;
    private final int count;
    private final int channels;
    private final int size;
    private final String[] labels;
    /** Each frame's index in the dataset it was loaded from (unreadable items leave gaps); null: frame i is item i. */
    private final int[] items;
    private final List<String> skipped;

    private NormalisedFrames(float[] values, int count, int channels, int size, String[] labels, int[] items, List<String> skipped) {
        this.values = values;
        this.count = count;
        this.channels = channels;
        this.size = size;
        this.labels = labels;
        this.items = items;
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Wraps frames that are already normalised (no copy; do not change the array afterwards).
     *
     * @param values at least count × channels × size × size values
     * @param labels each frame's label, or null (all "")
     */
    public static NormalisedFrames of(float[] values, int count, int channels, int size, String[] labels) {
        if (count < 0 || (long) count * channels * size * size > values.length) {
            throw new IllegalArgumentException("expected " + count + " frames of " + channels + "x" + size + "x" + size
                    + " values, got " + values.length + " values");
        }
        String[] l = labels == null ? new String[count] : labels.clone();
        if (labels == null) {
            Arrays.fill(l, "");
        } else if (labels.length != count) {
            throw new IllegalArgumentException("expected " + count + " labels, got " + labels.length);
        }
        return new NormalisedFrames(values, count, channels, size, l, null, List.of());
    }

    /**
     * Converts every item of a dataset (in parallel), leaving out and counting those that cannot be read.
     *
     * @throws IllegalArgumentException if the frames would take more than {@value #MAX_HEAP_SHARE} of the maximum
     *     heap (the message says how much they need and what to change), or if no item could be read
     */
    public static NormalisedFrames load(ImageDataset dataset, int channels, int size) {
        int n = dataset.size();
        int fv = channels * size * size;
        long bytes = (long) n * fv * Float.BYTES;
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > MAX_HEAP_SHARE * max || (long) n * fv > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%d frames of %dx%dx%d need %d MB in memory, more than %.0f%% of the %d MB heap; use a smaller "
                            + "--image-size or fewer images, or raise -Xmx (LATENTWATCH_JAVA_OPTS)",
                    n, channels, size, size, bytes >> 20, MAX_HEAP_SHARE * 100, max >> 20));
        }
        float[] all = new float[n * fv];
        String[] failures = new String[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                dataset.normalise(i, channels, size, all, i * fv);
            } catch (RuntimeException | OutOfMemoryError e) {
                // one image that cannot be decoded, even one that exhausts the heap, is skipped, not the end of the run
                failures[i] = dataset.name(i) + ": " + ImageReading.reason(e);
            }
        });
        List<String> skipped = new ArrayList<>();
        if (dataset instanceof ImageFolderDataset folder) {
            folder.skipped().forEach(s -> skipped.add(s.toString()));
        }
        int kept = 0;
        String[] labels = new String[n];
        int[] items = new int[n];
        for (int i = 0; i < n; i++) {
            if (failures[i] != null) {
                skipped.add(failures[i]);
                continue;
            }
            if (kept != i) {
                System.arraycopy(all, i * fv, all, kept * fv, fv);
            }
            items[kept] = i;
            labels[kept++] = dataset.label(i);
        }
        if (kept == 0) {
            throw new IllegalArgumentException("no readable images in " + dataset.description() + ": " + skipped.size()
                    + " skipped, the first " + skipped.get(0));
        }
        float[] values = kept == n ? all : Arrays.copyOf(all, kept * fv);
        return new NormalisedFrames(values, kept, channels, size, Arrays.copyOf(labels, kept), kept == n ? null : Arrays.copyOf(items, kept),
                skipped);
    }

    /** Number of frames. */
    public int count() {
        return count;
    }

    public int channels() {
        return channels;
    }

    public int size() {
        return size;
    }

    /** Values per frame: channels × size × size. */
    public int frameValues() {
        return channels * size * size;
    }

    /** The frames one after another (the backing array, not a copy: read it, do not change it). */
    public float[] values() {
        return values;
    }

    /** Frame {@code index}'s label (the dataset's label: a class, a sub-folder, an anomaly kind). */
    public String label(int index) {
        return labels[Objects.checkIndex(index, count)];
    }

    /**
     * The index, in the dataset it was loaded from, of frame {@code index} (they differ after an unreadable item):
     * for what the dataset knows of an item besides its pixels, its name or ground-truth mask.
     */
    public int item(int index) {
        Objects.checkIndex(index, count);
        return items == null ? index : items[index];
    }

    /** Items that could not be read, each "name: reason", in dataset order. */
    public List<String> skipped() {
        return skipped;
    }

    /** Copies frame {@code index} into {@code out} at {@code offset}. */
    public void copyFrame(int index, float[] out, int offset) {
        int fv = frameValues();
        System.arraycopy(values, Objects.checkIndex(index, count) * fv, out, offset, fv);
    }

    /** The frames at the given indices, in that order, as a new set (copied; its {@link #skipped()} is empty). */
    public NormalisedFrames select(int[] indices) {
        int fv = frameValues();
        float[] out = new float[indices.length * fv];
        String[] l = new String[indices.length];
        int[] it = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            copyFrame(indices[i], out, i * fv);
            l[i] = labels[indices[i]];
            it[i] = item(indices[i]);
        }
        return new NormalisedFrames(out, indices.length, channels, size, l, it, List.of());
    }

    /**
     * A seeded random split: {@code [train, validation]} with round(fraction × count) frames, at least one, in the
     * validation set and at least two in the training set; the training set carries this set's {@link #skipped()}.
     *
     * @throws IllegalArgumentException if there are fewer than 3 frames
     */
    public NormalisedFrames[] split(double validationFraction, long seed) {
        if (count < 3) {
            throw new IllegalArgumentException("training needs at least 3 readable images (2 to train on, 1 to calibrate), got " + count);
        }
        int validation = (int) Math.max(1, Math.min(count - 2, Math.round(validationFraction * count)));
        List<Integer> order = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        int[] train = order.subList(0, count - validation).stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] val = order.subList(count - validation, count).stream().mapToInt(Integer::intValue).sorted().toArray();
        NormalisedFrames t = select(train);
        return new NormalisedFrames[] {new NormalisedFrames(t.values, t.count, channels, size, t.labels, t.items, skipped), select(val)};
    }
}

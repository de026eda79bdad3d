package io.latentwatch.scoring;

/**
 * One frame's anomaly map in the model's pixel grid (size × size, row-major): standardised by the model's
 * {@link PixelStatistics} where it has them, else the raw per-pixel error. Its image scores ({@link #max()},
 * {@link #topKMean(int)}) and its localisation: the {@link #peak()} and the {@link #region()} above the calibrated
 * threshold. Treat as immutable (the values are shared, not copied).
 */
public final class AnomalyMap {

    private final int size;
    private final float[] values;
    private final double threshold;
    private int peak = -1;

    /**
     * @param values size × size values, row-major
     * @param threshold the value a pixel must exceed to belong to a region; NaN: none (no region)
     */
    public AnomalyMap(int size, float[] values, double threshold) {
        if (values.length != size * size) {
            throw new IllegalArgumentException("a map of side " + size + " has " + size * size + " values, got " + values.length);
        }
        this.size = size;
        this.values = values;
        this.threshold = threshold;
    }

    public int size() {
        return size;
    }

    /** The values, row-major (shared: do not change them). */
    public float[] values() {
        return values;
    }

    public double threshold() {
        return threshold;
    }

    /** The value at pixel (x, y). */
    public float at(int x, int y) {
        return values[y * size + x];
    }

    private int peakIndex() {
        if (peak < 0) {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                // a NaN pixel (a non-finite frame) wins, so that it is where the map points
                if (values[i] > values[best] || (Float.isNaN(values[i]) && !Float.isNaN(values[best]))) {
                    best = i;
                }
            }
            peak = best;
        }
        return peak;
    }

    /** The highest value. */
    public double max() {
        return values[peakIndex()];
    }

    /** The pixel of the highest value, {x, y} in the model's grid. */
    public int[] peak() {
        int p = peakIndex();
        return new int[] {p % size, p / size};
    }

    /** The mean of the k highest values (all of them when k exceeds the pixels). */
    public double topKMean(int k) {
        int n = Math.max(1, Math.min(k, values.length));
        // a min-heap of the n highest so far, of primitives: this runs for every frame scored
        float[] heap = new float[n];
        int size = 0;
        for (float v : values) {
            float key = Float.isNaN(v) ? Float.POSITIVE_INFINITY : v; // a NaN pixel counts as the highest
            if (size < n) {
                int i = size++;
                heap[i] = key;
                while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
                    swap(heap, i, (i - 1) / 2);
                    i = (i - 1) / 2;
                }
            } else if (key > heap[0]) {
                heap[0] = key;
                int i = 0;
                while (true) {
                    int l = 2 * i + 1;
                    int r = l + 1;
                    int m = i;
                    if (l < n && heap[l] < heap[m]) {
                        m = l;
                    }
                    if (r < n && heap[r] < heap[m]) {
                        m = r;
                    }
                    if (m == i) {
                        break;
                    }
                    swap(heap, i, m);
                    i = m;
                }
            }
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += heap[i];
        }
        return sum / size;
    }

    private static void swap(float[] a, int i, int j) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /**
     * The bounding box of the connected area (8-neighbours) above the threshold that holds the peak, {x, y, w, h} in
     * the model's grid; null when no pixel is above the threshold (or there is none).
     */
    public int[] region() {
        return regionAbove(threshold);
    }

    /**
     * The region of a frame flagged by its score ({@code alerted}): {@link #region()}, or where the peak is below the
     * region threshold (a faint defect, flagged because it stands out from the rest of its frame) the connected area
     * above half the peak, its half-maximum width. Null when the frame is not flagged and has no region, or its peak
     * is not positive.
     */
    public int[] region(boolean alerted) {
        return regionAbove(regionLevel(alerted));
    }

    /** The level {@link #region(boolean)} cuts the region at: the threshold, or half the peak (no search needed). */
    public double regionLevel(boolean alerted) {
        double peak = max();
        boolean aboveThreshold = !Double.isNaN(threshold) && (peak > threshold || Double.isNaN(peak));
        return aboveThreshold || !alerted || !(peak > 0) ? threshold : peak / 2;
    }

    /** The bounding box of the connected area above {@code level} that holds the peak; null when the peak is not above it. */
    private int[] regionAbove(double level) {
        int p = peakIndex();
        if (Double.isNaN(level) || !(values[p] > level || Float.isNaN(values[p]))) {
            return null;
        }
        boolean[] seen = new boolean[values.length];
        int[] stack = new int[values.length];
        int top = 0;
        stack[top++] = p;
        seen[p] = true;
        int minX = size;
        int minY = size;
        int maxX = -1;
        int maxY = -1;
        while (top > 0) {
            int i = stack[--top];
            int x = i % size;
            int y = i / size;
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx;
                    int ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= size || ny >= size) {
                        continue;
                    }
                    int j = ny * size + nx;
                    if (!seen[j] && (values[j] > level || Float.isNaN(values[j]))) {
                        seen[j] = true;
                        stack[top++] = j;
                    }
                }
            }
        }
        return new int[] {minX, minY, maxX - minX + 1, maxY - minY + 1};
    }

    /**
     * A box of the model's grid in a frame's own pixel coordinates (the model saw the frame resized to its grid):
     * scaled outwards, clipped to the frame.
     *
     * @param box {x, y, w, h} in the grid of side {@code size}
     */
    public static int[] toFrame(int[] box, int size, int width, int height) {
        if (box == null) {
            return null;
        }
        double sx = (double) width / size;
        double sy = (double) height / size;
        int x0 = (int) Math.floor(box[0] * sx);
        int y0 = (int) Math.floor(box[1] * sy);
        int x1 = Math.min(width, (int) Math.ceil((box[0] + box[2]) * sx));
        int y1 = Math.min(height, (int) Math.ceil((box[1] + box[3]) * sy));
        return new int[] {x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)};
    }

    /** A pixel {x, y} of the model's grid in a frame's own coordinates: the centre of the pixels it stands for. */
    public static int[] pointToFrame(int[] point, int size, int width, int height) {
        if (point == null) {
            return null;
        }
        return new int[] {
            Math.min(width - 1, (int) ((point[0] + 0.5) * width / size)), Math.min(height - 1, (int) ((point[1] + 0.5) * height / size))
        };
    }
}

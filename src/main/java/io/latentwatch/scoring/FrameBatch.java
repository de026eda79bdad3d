package io.latentwatch.scoring;

import io.latentwatch.frames.Frame;
import io.latentwatch.pipeline.operators.MicroBatchOperator;
import java.util.List;

/**
 * Frames gathered by the {@link MicroBatchOperator} for one model call: their identities side by side and their
 * pixels one after another in a single array, the layout {@link BatchScorer#score(float[], int)} takes. A Flink POJO.
 */
public class FrameBatch {

    public String[] sources;
    public String[] frameIds;
    public long[] capturedAt;
    /** Each frame's own image width and height (see {@link Frame#width}), for its region and peak. */
    public int[] widths;
    public int[] heights;
    /** count × frame values, frame i at i × frame values. */
    public float[] pixels;

    public FrameBatch() {}

    /**
     * Packs frames into a batch.
     *
     * @throws IllegalArgumentException if the list is empty or the frames differ in size
     */
    public static FrameBatch of(List<Frame> frames) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one frame");
        }
        int n = frames.size();
        int values = frames.get(0).pixels.length;
        FrameBatch b = new FrameBatch();
        b.sources = new String[n];
        b.frameIds = new String[n];
        b.capturedAt = new long[n];
        b.widths = new int[n];
        b.heights = new int[n];
        b.pixels = new float[n * values];
        for (int i = 0; i < n; i++) {
            Frame f = frames.get(i);
            if (f.pixels.length != values) {
                throw new IllegalArgumentException("frame " + f.frameId + " has " + f.pixels.length + " values, the batch's first frame " + values);
            }
            b.sources[i] = f.source;
            b.frameIds[i] = f.frameId;
            b.capturedAt[i] = f.capturedAt;
            b.widths[i] = f.width;
            b.heights[i] = f.height;
            System.arraycopy(f.pixels, 0, b.pixels, i * values, values);
        }
        return b;
    }

    /** Frames in the batch. */
    public int size() {
        return sources.length;
    }

    @Override
    public String toString() {
        return "FrameBatch[" + size() + " frames]";
    }
}

package io.latentwatch.frames;

/**
 * A decoded, validated frame ready for the model: the source it came from, its id, when it was captured and its
 * pixels normalised to the model's input (in_channels × image_size × image_size values in [−1, 1], see
 * {@link ImageFrames}), and the decoded image's own width and height, in which the frame's region and peak are
 * given. A Flink POJO (public fields, no-argument constructor).
 */
public class Frame {

    /** Source (camera) id: the Kafka key. */
    public String source;
    /** The frame-id header, or {@code <topic>-<partition>-<offset>}. */
    public String frameId;
    /** Capture time (epoch ms): the captured-at header, else the Kafka record's timestamp. */
    public long capturedAt;
    public float[] pixels;
    /** The image's own width in pixels, before it was resized to the model's grid (0: unknown, the grid's). */
    public int width;
    /** The image's own height in pixels, as {@link #width}. */
    public int height;

    public Frame() {}

    /**
     * @param width the decoded image's own width, before resizing to the model's grid
     * @param height the decoded image's own height
     */
    public Frame(String source, String frameId, long capturedAt, float[] pixels, int width, int height) {
        this.source = source;
        this.frameId = frameId;
        this.capturedAt = capturedAt;
        this.pixels = pixels;
        this.width = width;
        this.height = height;
    }

    @Override
    public String toString() {
        return "Frame[" + source + "/" + frameId + ", captured " + capturedAt + ", " + width + "x" + height + ", "
                + (pixels == null ? 0 : pixels.length) + " values]";
    }
}

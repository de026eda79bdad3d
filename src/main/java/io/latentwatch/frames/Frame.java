package io.latentwatch.frames;

/**
 * A decoded, validated frame ready for the model: the source it came from, its id, when it was captured and its
 * pixels normalised to the model's input (in_channels × image_size × image_size values in [−1, 1], see
 * {@link ImageFrames}). A Flink POJO (public fields, no-argument constructor).
 */
public class Frame {

    /** Source (camera) id: the Kafka key. */
    public String source;
    /** The frame-id header, or {@code <topic>-<partition>-<offset>}. */
    public String frameId;
    /** Capture time (epoch ms): the captured-at header, else the Kafka record's timestamp. */
    public long capturedAt;
    public float[] pixels;

    public Frame() {}

    public Frame(String source, String frameId, long capturedAt, float[] pixels) {
        this.source = source;
        this.frameId = frameId;
        this.capturedAt = capturedAt;
        this.pixels = pixels;
    }

    @Override
    public String toString() {
        return "Frame[" + source + "/" + frameId + ", captured " + capturedAt + ", " + (pixels == null ? 0 : pixels.length) + " values]";
    }
}

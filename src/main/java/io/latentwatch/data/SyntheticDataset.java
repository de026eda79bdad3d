package io.latentwatch.data;

import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A run of consecutive frames of a {@link SyntheticCamera} as a dataset: item i is camera frame firstIndex + i.
 * Frames are rendered when asked for (about a millisecond at 64 × 64), not stored, since the camera gives the same
 * frame for the same index every time.
 */
public final class SyntheticDataset implements ImageDataset {

    /** Frames in the dataset of the spec "synthetic". */
    public static final int DEFAULT_COUNT = 4096;

    private final SyntheticCamera camera;
    private final long firstIndex;
    private final int count;

    /**
     * @param camera the camera whose frames are the items
     * @param firstIndex the camera frame of item 0 (use different ranges for training and validation sets)
     * @param count number of frames
     */
    public SyntheticDataset(SyntheticCamera camera, long firstIndex, int count) {
        if (firstIndex < 0 || count < 0) {
            throw new IllegalArgumentException("firstIndex and count must be >= 0, got " + firstIndex + " and " + count);
        }
        this.camera = Objects.requireNonNull(camera, "camera");
        this.firstIndex = firstIndex;
        this.count = count;
    }

    /**
     * What the spec "synthetic" opens: the first {@code count} frames of the default camera (seed 1, 64 × 64 RGB,
     * no anomalies, no drift), for training.
     */
    public static SyntheticDataset normal(int count) {
        return new SyntheticDataset(SyntheticCamera.builder().build(), 0, count);
    }

    public SyntheticCamera camera() {
        return camera;
    }

    /** The camera frame behind item {@code index}, with its ground truth. */
    public CameraFrame frame(int index) {
        return camera.frame(cameraIndex(index));
    }

    /** The anomaly injected into item {@code index} (NONE for a normal frame), without rendering it. */
    public AnomalyKind anomaly(int index) {
        return camera.anomalyAt(cameraIndex(index));
    }

    @Override
    public int size() {
        return count;
    }

    /** {@code synthetic#<camera frame index>}. */
    @Override
    public String name(int index) {
        return "synthetic#" + cameraIndex(index);
    }

    /** The anomaly kind's label: "none", "scratch", "missing-part", ... */
    @Override
    public String label(int index) {
        return anomaly(index).label();
    }

    @Override
    public BufferedImage image(int index) {
        return frame(index).image();
    }

    @Override
    public int channels() {
        return camera.channels();
    }

    @Override
    public int imageSize() {
        return camera.imageSize();
    }

    @Override
    public String description() {
        return String.format("synthetic camera frames %d to %d: %d %s %dx%d images, anomaly rate %s, seed %d%s", firstIndex,
                firstIndex + count - 1, count, camera.channels() == 1 ? "gray" : "RGB", camera.imageSize(), camera.imageSize(),
                camera.anomalyRate(), camera.seed(), camera.maxRotation() < 180 ? ", parts within ±" + camera.maxRotation() + "°" : "");
    }

    @Override
    public String toString() {
        return description();
    }

    private long cameraIndex(int index) {
        return firstIndex + Objects.checkIndex(index, count);
    }
}

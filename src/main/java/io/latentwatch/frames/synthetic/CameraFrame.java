package io.latentwatch.frames.synthetic;

import io.latentwatch.frames.Frame;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageFrames;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;

/**
 * One frame of the {@link SyntheticCamera} with its ground truth.
 *
 * <p>Named CameraFrame, not Frame, so that it does not clash with the pipeline's frame record.
 *
 * @param index the frame's position in the camera's sequence (0, 1, 2, ...); the frame is a pure function of the
 *     camera's settings and this index
 * @param image imageSize × imageSize pixels, {@link BufferedImage#TYPE_INT_RGB} for a colour camera,
 *     {@link BufferedImage#TYPE_BYTE_GRAY} for a grayscale one
 * @param anomaly the injected anomaly, {@link AnomalyKind#NONE} for a normal frame
 * @param region the anomaly's bounding box in pixels, clipped to the image: empty for a normal frame, the whole
 *     image for BLANK and OVEREXPOSED
 */
public record CameraFrame(long index, BufferedImage image, AnomalyKind anomaly, Rectangle region) {

    public boolean isAnomaly() {
        return anomaly.isAnomaly();
    }

    /** The image as PNG (lossless). */
    public byte[] encodePng() {
        return ImageEncoding.png(image);
    }

    /** The image as JPEG at quality 0.9. */
    public byte[] encodeJpeg() {
        return ImageEncoding.jpeg(image, 0.9f);
    }

    /** The image as JPEG at the given quality (0 to 1). */
    public byte[] encodeJpeg(float quality) {
        return ImageEncoding.jpeg(image, quality);
    }

    /** Model input for this frame: channels × size × size values in [−1, 1] (see {@link ImageFrames}). */
    public float[] normalise(int channels, int size) {
        return ImageFrames.normalise(image, channels, size);
    }
}

package io.latentwatch.frames;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Encodes images into the byte formats the {@code frames} topic carries (PNG, JPEG, BMP), the inverse of
 * {@link ImageFrames#decode(byte[])}. Encoding to memory cannot fail for the image types used here (8-bit gray,
 * packed RGB), so failures are unchecked.
 */
public final class ImageEncoding {

    private ImageEncoding() {}

    /** Lossless PNG: decoding gives back the exact pixels (gray stays 8-bit gray). */
    public static byte[] png(BufferedImage image) {
        return write(image, "png");
    }

    /** BMP, uncompressed. */
    public static byte[] bmp(BufferedImage image) {
        return write(image, "bmp");
    }

    /**
     * JPEG at the given quality.
     *
     * @param quality 0 (smallest) to 1 (best); 0.9 keeps the synthetic anomalies' edges
     */
    public static byte[] jpeg(BufferedImage image, float quality) {
        if (!(quality >= 0f && quality <= 1f)) {
            throw new IllegalArgumentException("JPEG quality must be in [0, 1], got " + quality);
        }
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no JPEG writer");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("JPEG encoding failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] write(BufferedImage image, String format) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, bytes)) {
                throw new IllegalStateException("no " + format + " writer for image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(format + " encoding failed", e);
        }
        return bytes.toByteArray();
    }
}

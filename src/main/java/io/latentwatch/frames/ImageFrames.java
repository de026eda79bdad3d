package io.latentwatch.frames;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Turns encoded images (PNG, JPEG, BMP: whatever ImageIO reads) into model input: in_channels × size × size
 * values, p / 255 × 2 − 1. Grayscale models take luma (0.299 R + 0.587 G + 0.114 B) of colour input; colour
 * models take RGB (a gray image is repeated over the three channels). Images of another size are resized with
 * bilinear interpolation to size × size (aspect ratio not kept), after the channel conversion.
 */
public final class ImageFrames {

    /** How a different-sized image is resized; shown in the CLI's help. */
    public static final String RESIZE_METHOD =
            "bilinear interpolation (half-pixel centres, like PyTorch's align_corners=False) to image_size x image_size, aspect ratio not kept";

    private ImageFrames() {}

    /** Decodes image bytes; an IOException says why they cannot be read. */
    public static BufferedImage decode(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new IOException("empty image (0 bytes)");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IOException("undecodable image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IOException("not an image in a format ImageIO reads (PNG, JPEG, BMP, GIF)");
        }
        return img;
    }

    public static BufferedImage read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    /**
     * Writes one image's normalised values into {@code out} at {@code offset}.
     *
     * @param channels 1 (luma) or 3 (RGB)
     */
    public static void normalise(BufferedImage img, int channels, int size, float[] out, int offset) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] planes = planes(img, channels);
        int plane = size * size;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    float p = w == size && h == size ? planes[c * w * h + y * w + x] : bilinear(planes, c * w * h, w, h, size, x, y);
                    out[offset + c * plane + y * size + x] = p / 255f * 2f - 1f;
                }
            }
        }
    }

    /** The image's 8-bit values as channel planes (luma or RGB), channels × height × width. */
    private static float[] planes(BufferedImage img, int channels) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        // raw samples for 8-bit gray: getRGB would pass it through a colour-space conversion
        boolean gray = raster.getNumBands() == 1 && img.getColorModel().getPixelSize() == 8;
        float[] out = new float[channels * w * h];
        int[] sample = new int[1];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                if (gray) {
                    float v = raster.getPixel(x, y, sample)[0];
                    for (int c = 0; c < channels; c++) {
                        out[c * w * h + p] = v;
                    }
                    continue;
                }
                int rgb = img.getRGB(x, y);
                float r = (rgb >> 16) & 0xff;
                float g = (rgb >> 8) & 0xff;
                float b = rgb & 0xff;
                if (channels == 1) {
                    out[p] = 0.299f * r + 0.587f * g + 0.114f * b;
                } else {
                    out[p] = r;
                    out[w * h + p] = g;
                    out[2 * w * h + p] = b;
                }
            }
        }
        return out;
    }

    /** Bilinear sample with half-pixel centres (PyTorch's align_corners=False), edges clamped. */
    private static float bilinear(float[] planes, int base, int w, int h, int size, int x, int y) {
        float sx = Math.max(0f, (x + 0.5f) * w / size - 0.5f);
        float sy = Math.max(0f, (y + 0.5f) * h / size - 0.5f);
        int x0 = Math.min((int) sx, w - 1);
        int y0 = Math.min((int) sy, h - 1);
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        float fx = sx - x0;
        float fy = sy - y0;
        float top = planes[base + y0 * w + x0] * (1 - fx) + planes[base + y0 * w + x1] * fx;
        float bottom = planes[base + y1 * w + x0] * (1 - fx) + planes[base + y1 * w + x1] * fx;
        return top * (1 - fy) + bottom * fy;
    }

    /** Normalised values of one image as a new array. */
    public static float[] normalise(BufferedImage image, int channels, int size) {
        float[] out = new float[channels * size * size];
        normalise(image, channels, size, out, 0);
        return out;
    }
}

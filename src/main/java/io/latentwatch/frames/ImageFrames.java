package io.latentwatch.frames;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns encoded images (PNG, JPEG, BMP; read by {@link ImageReading}) into model input: in_channels × size × size
 * values, p / 255 × 2 − 1. Grayscale models take luma (0.299 R + 0.587 G + 0.114 B) of colour input; colour
 * models take RGB (a gray image is repeated over the three channels). Images of another size are resized with
 * bilinear interpolation to size × size (aspect ratio not kept), after the channel conversion.
 */
public final class ImageFrames {

    /** How a different-sized image is resized; shown in the CLI's help. */
    public static final String RESIZE_METHOD =
            "bilinear interpolation (half-pixel centres, like PyTorch's align_corners=False) to image_size x image_size, aspect ratio not kept";

    private ImageFrames() {}

    /**
     * Decodes image bytes whole (PNG, JPEG or BMP, at most {@link ImageReading#DEFAULT_MAX_PIXELS}); an IOException
     * says why they cannot be read. {@link ImageReading} decodes with another budget, or subsampled.
     */
    public static BufferedImage decode(byte[] bytes) throws IOException {
        return ImageReading.read(bytes, ImageReading.PixelBudget.cliDefault(), 0).image();
    }

    /** As {@link #decode(byte[])}, from a file. */
    public static BufferedImage read(Path file) throws IOException {
        return ImageReading.read(file, ImageReading.PixelBudget.cliDefault(), 0).image();
    }

    /**
     * Writes one image's normalised values into {@code out} at {@code offset}.
     *
     * @param channels 1 (luma) or 3 (RGB)
     */
    public static void normalise(BufferedImage img, int channels, int size, float[] out, int offset) {
        normalise(img, channels, size, out, offset, img.getWidth(), img.getHeight(), 1);
    }

    /**
     * As {@link #normalise(BufferedImage, int, int, float[], int)} for an image decoded subsampled from a
     * sourceWidth × sourceHeight one (every {@code period}-th pixel from the {@code period / 2}-th, see
     * {@link ImageReading}): each output pixel is interpolated at the point of the source image it would be
     * interpolated at without subsampling, so the picture neither shifts nor stretches.
     */
    static void normalise(BufferedImage img, int channels, int size, float[] out, int offset, int sourceWidth, int sourceHeight, int period) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] planes = planes(img, channels);
        int plane = size * size;
        boolean exact = period == 1 && w == size && h == size;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < size; y++) {
                float sy = sample(y, sourceHeight, size, period);
                for (int x = 0; x < size; x++) {
                    float p = exact ? planes[c * w * h + y * w + x] : bilinear(planes, c * w * h, w, h, sample(x, sourceWidth, size, period), sy);
                    out[offset + c * plane + y * size + x] = p / 255f * 2f - 1f;
                }
            }
        }
    }

    /**
     * Where output pixel {@code i} of {@code size} samples the decoded image: half-pixel centres in the source image
     * (PyTorch's align_corners=False), clamped at 0, then in the subsampled grid.
     */
    private static float sample(int i, int source, int size, int period) {
        float s = Math.max(0f, (i + 0.5f) * source / size - 0.5f);
        return period == 1 ? s : Math.max(0f, (s - period / 2) / period);
    }

    /** The image's 8-bit values as channel planes (luma or RGB), channels × height × width. */
    private static float[] planes(BufferedImage img, int channels) {
        int w = img.getWidth();
        int h = img.getHeight();
        if ((long) channels * w * h > Integer.MAX_VALUE - 8) {
            // ImageReading's pixel budget and subsampling keep decoded images far below this
            throw new IllegalArgumentException("image too large to convert: " + w + "x" + h + " pixels, " + channels + " channel(s)");
        }
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

    /** Bilinear sample at (sx, sy) of a w × h plane, edges clamped. */
    private static float bilinear(float[] planes, int base, int w, int h, float sx, float sy) {
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

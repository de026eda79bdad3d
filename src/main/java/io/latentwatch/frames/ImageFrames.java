package io.latentwatch.frames;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns encoded images (PNG, JPEG, BMP; read by {@link ImageReading}) into model input: in_channels × size × size
 * values, p / 255 × 2 − 1 ({@link #normalised(float)}). Grayscale models take luma ({@link #luma}: 0.299 R + 0.587 G
 * + 0.114 B) of colour input; colour models take RGB (a gray image is repeated over the three channels). Images of
 * another size are resized with bilinear interpolation to size × size (aspect ratio not kept), after the channel
 * conversion.
 *
 * <p>This is the one place of that rule: the decoder, the datasets, the synthetic camera and the fine-tuner's
 * reservoir all convert through it, so that what is scored is what was trained on, to the bit.
 */
public final class ImageFrames {

    /** How a different-sized image is resized; shown in the CLI's help. */
    public static final String RESIZE_METHOD =
            "bilinear interpolation (half-pixel centres, like PyTorch's align_corners=False) to image_size x image_size, aspect ratio not kept";

    /** {@link #normalised(float)} of every 8-bit level: the same floats, looked up rather than divided. */
    private static final float[] NORMALISED = new float[256];
    /**
     * The three products of {@link #luma} for every 8-bit level: the same floats, so that their sum, in luma's order,
     * is luma's to the bit (ImageFramesTest checks every colour), without converting three ints to floats per pixel.
     */
    private static final float[] LUMA_R = new float[256];
    private static final float[] LUMA_G = new float[256];
    private static final float[] LUMA_B = new float[256];

    static {
        for (int p = 0; p < 256; p++) {
            NORMALISED[p] = normalised(p);
            LUMA_R[p] = 0.299f * p;
            LUMA_G[p] = 0.587f * p;
            LUMA_B[p] = 0.114f * p;
        }
    }

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
        // frames come at the model's size: read their samples in bulk rather than pixel by pixel through getRGB
        if (period == 1 && normaliseRaster(img, channels, size, out, offset)) {
            return;
        }
        resample(img, channels, size, out, offset, sourceWidth, sourceHeight, period);
    }

    /**
     * The model input value of an 8-bit level: p / 255 × 2 − 1, in exactly this order of float operations. Every
     * conversion of pixels to model input goes through here: the models were trained on these values bit for bit,
     * and {@code p * (2 / 255f) - 1} differs in the last bit for some levels.
     */
    public static float normalised(float level) {
        return level / 255f * 2f - 1f;
    }

    /**
     * The 8-bit level nearest a model input value, clamped to 0..255: the inverse of {@link #normalised(float)}, which
     * gives back {@code p} for {@code normalised(p)}; NaN gives 0.
     */
    public static int level(float value) {
        return Math.max(0, Math.min(255, Math.round((value + 1f) * 127.5f)));
    }

    /** Luma of an RGB pixel (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B), in the levels of its channels. */
    public static float luma(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }

    /**
     * {@code normalised(luma(r, g, b))} of 8-bit levels, bit for bit, from tables of luma's products. Not a table of
     * normalised lumas: a luma is not a level, and the division is the models' arithmetic.
     */
    static float normalisedLuma(int r, int g, int b) {
        return normalised(LUMA_R[r] + LUMA_G[g] + LUMA_B[b]);
    }

    /**
     * What {@link #resample} computes, value for value, read from the raster in bulk instead of pixel by pixel
     * through the colour model: for images of the model's size with 8-bit gray or (s)RGB samples, which is what PNG
     * and JPEG frames decode to. Returns false, having written nothing, for any other image.
     */
    static boolean normaliseRaster(BufferedImage image, int channels, int size, float[] out, int offset) {
        if (image.getWidth() != size || image.getHeight() != size) {
            return false;
        }
        ColorModel cm = image.getColorModel();
        if (!(cm instanceof ComponentColorModel) || cm.isAlphaPremultiplied() || cm.getTransferType() != DataBuffer.TYPE_BYTE) {
            return false;
        }
        int components = cm.getNumColorComponents();
        ColorSpace cs = cm.getColorSpace();
        // these two are the cases where getRGB hands the samples through unchanged
        boolean gray = components == 1 && cs.getType() == ColorSpace.TYPE_GRAY && cm.getPixelSize() == 8;
        boolean rgb = components == 3 && cs.isCS_sRGB() && cm.getComponentSize(0) == 8;
        if (!gray && !rgb) {
            return false;
        }
        WritableRaster raster = image.getRaster();
        // a buffer that starts into its array is read one way by getRGB and another by getPixel: left to getPixels, as before
        if (raster.getDataBuffer() instanceof DataBufferByte buffer && raster.getSampleModel() instanceof ComponentSampleModel
                && startsAtZero(buffer)) {
            samples(raster, gray, channels, size, out, offset);
        } else {
            pixels(raster, gray, channels, size, out, offset);
        }
        return true;
    }

    /**
     * {@link #normaliseRaster}'s conversion, read straight from the bytes of the raster's data buffer: every layout of
     * 8-bit components (3BYTE_BGR, 4BYTE_ABGR, BYTE_GRAY, the interleaved and banded rasters of the PNG, JPEG and BMP
     * readers, a sub-image's raster) is a pixel stride, a scanline stride and a bank and offset per band.
     */
    private static void samples(WritableRaster raster, boolean gray, int channels, int size, float[] out, int offset) {
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        int pixelStride = sm.getPixelStride();
        int scanlineStride = sm.getScanlineStride();
        int[] banks = sm.getBankIndices();
        int[] bandOffsets = sm.getBandOffsets();
        // where raster pixel (0, 0) starts in the buffer: a sub-image's raster is translated into its parent's
        int origin = (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanlineStride;
        int plane = size * size;
        if (gray) {
            byte[] g = buffer.getData(banks[0]);
            int base = origin + bandOffsets[0];
            for (int y = 0; y < size; y++) {
                int row = offset + y * size;
                for (int x = 0, i = base + y * scanlineStride; x < size; x++, i += pixelStride) {
                    out[row + x] = NORMALISED[g[i] & 0xFF];
                }
            }
            for (int c = 1; c < channels; c++) {
                System.arraycopy(out, offset, out, offset + c * plane, plane);
            }
            return;
        }
        byte[] r = buffer.getData(banks[0]);
        byte[] g = buffer.getData(banks[1]);
        byte[] b = buffer.getData(banks[2]);
        int ri = origin + bandOffsets[0];
        int gi = origin + bandOffsets[1];
        int bi = origin + bandOffsets[2];
        for (int y = 0; y < size; y++) {
            int row = offset + y * size;
            int line = y * scanlineStride;
            if (channels == 1) {
                for (int x = 0, i = line; x < size; x++, i += pixelStride) {
                    out[row + x] = normalisedLuma(r[ri + i] & 0xFF, g[gi + i] & 0xFF, b[bi + i] & 0xFF);
                }
            } else {
                for (int x = 0, i = line; x < size; x++, i += pixelStride) {
                    out[row + x] = NORMALISED[r[ri + i] & 0xFF];
                    out[row + plane + x] = NORMALISED[g[gi + i] & 0xFF];
                    out[row + 2 * plane + x] = NORMALISED[b[bi + i] & 0xFF];
                }
            }
        }
    }

    private static boolean startsAtZero(DataBuffer buffer) {
        for (int o : buffer.getOffsets()) {
            if (o != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #normaliseRaster}'s conversion through {@code Raster.getPixels}, as it was done for every image before,
     * for a raster of another layout (rare: computed, not looked up, whatever the buffer returns).
     */
    private static void pixels(Raster raster, boolean gray, int channels, int size, float[] out, int offset) {
        int bands = raster.getNumBands();
        int[] samples = raster.getPixels(raster.getMinX(), raster.getMinY(), size, size, (int[]) null);
        int plane = size * size;
        for (int p = 0; p < plane; p++) {
            int o = p * bands;
            if (gray) {
                float v = normalised(samples[o]);
                for (int c = 0; c < channels; c++) {
                    out[offset + c * plane + p] = v;
                }
            } else if (channels == 1) {
                out[offset + p] = normalised(luma(samples[o], samples[o + 1], samples[o + 2]));
            } else {
                out[offset + p] = normalised(samples[o]);
                out[offset + plane + p] = normalised(samples[o + 1]);
                out[offset + 2 * plane + p] = normalised(samples[o + 2]);
            }
        }
    }

    /** Any image, pixel by pixel through its colour model, resized (bilinear) where it is not size × size. */
    static void resample(BufferedImage img, int channels, int size, float[] out, int offset, int sourceWidth, int sourceHeight, int period) {
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
                    out[offset + c * plane + y * size + x] = normalised(p);
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
                    out[p] = luma(r, g, b);
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

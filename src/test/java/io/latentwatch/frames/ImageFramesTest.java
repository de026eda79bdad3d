package io.latentwatch.frames;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The one normalisation: its arithmetic, its inverse, and a bulk raster path that gives exactly the per-pixel one. */
class ImageFramesTest {

    private static final int SIZE = 32;

    @Test
    void levelsNormaliseToMinusOneToOneAndBackExactly() {
        assertEquals(-1f, ImageFrames.normalised(0));
        assertEquals(1f, ImageFrames.normalised(255));
        for (int p = 0; p < 256; p++) {
            // the order of operations is the rule: trained models saw exactly these floats
            assertEquals(p / 255f * 2f - 1f, ImageFrames.normalised(p), "level " + p);
            assertEquals(p, ImageFrames.level(ImageFrames.normalised(p)), "level " + p);
        }
        assertEquals(0, ImageFrames.level(-3f));
        assertEquals(255, ImageFrames.level(3f));
        assertEquals(0, ImageFrames.level(Float.NaN));
    }

    @Test
    void theBulkRasterPathGivesExactlyWhatThePerPixelPathGives() throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        for (int channels : new int[] {1, 3}) {
            CameraFrame f = SyntheticCamera.builder().seed(3).imageSize(SIZE).channels(channels).build().frame(5);
            for (byte[] bytes : new byte[][] {f.encodePng(), f.encodeJpeg(), ImageEncoding.bmp(f.image())}) {
                images.add(ImageFrames.decode(bytes));
            }
            for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_BYTE_GRAY}) {
                images.add(redrawn(f.image(), type));
            }
            // PNG with alpha: interleaved R, G, B, A, which the reader lays out itself
            images.add(ImageFrames.decode(png(redrawn(f.image(), BufferedImage.TYPE_4BYTE_ABGR))));
        }
        images.addAll(otherLayouts());
        int fast = 0;
        for (BufferedImage image : images) {
            for (int channels : new int[] {1, 3}) {
                float[] bulk = new float[channels * SIZE * SIZE + 5];
                float[] perPixel = new float[bulk.length];
                if (ImageFrames.normaliseRaster(image, channels, SIZE, bulk, 5)) {
                    fast++;
                    ImageFrames.resample(image, channels, SIZE, perPixel, 5, SIZE, SIZE, 1);
                    assertArrayEquals(perPixel, bulk, describe(image) + ", " + channels + " channel(s)");
                }
            }
        }
        // every one: PNG, JPEG and BMP frames, gray and RGB, decode to 8-bit component images, as do the other layouts
        assertEquals(2 * images.size(), fast, "images the bulk path took, for 1 and 3 channels");
    }

    @Test
    void theLumaOfEveryColourIsExactlyLumasArithmetic() {
        for (int r = 0; r < 256; r++) {
            for (int g = 0; g < 256; g++) {
                for (int b = 0; b < 256; b++) {
                    float expected = ImageFrames.normalised(ImageFrames.luma(r, g, b));
                    float actual = ImageFrames.normalisedLuma(r, g, b);
                    if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                        assertEquals(expected, actual, "r " + r + ", g " + g + ", b " + b);
                    }
                }
            }
        }
    }

    @Test
    void everyLevelAndMixOfLevelsConvertsExactly() {
        // all 256 levels in every band, and many mixes for the luma of colour: 32 x 32 = 1024 pixels per image
        Random random = new Random(11);
        for (int round = 0; round < 64; round++) {
            BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_3BYTE_BGR);
            BufferedImage gray = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
            for (int p = 0; p < SIZE * SIZE; p++) {
                int r = round == 0 ? p & 0xFF : random.nextInt(256);
                int g = round == 0 ? (p + 85) & 0xFF : random.nextInt(256);
                int b = round == 0 ? (p + 170) & 0xFF : random.nextInt(256);
                image.getRaster().setPixel(p % SIZE, p / SIZE, new int[] {r, g, b});
                gray.getRaster().setSample(p % SIZE, p / SIZE, 0, r);
            }
            for (BufferedImage i : List.of(image, gray)) {
                for (int channels : new int[] {1, 3}) {
                    float[] bulk = new float[channels * SIZE * SIZE];
                    float[] perPixel = new float[bulk.length];
                    assertTrue(ImageFrames.normaliseRaster(i, channels, SIZE, bulk, 0));
                    ImageFrames.resample(i, channels, SIZE, perPixel, 0, SIZE, SIZE, 1);
                    assertArrayEquals(perPixel, bulk, describe(i) + ", " + channels + " channel(s), round " + round);
                }
            }
        }
    }
    @Test
    void otherImagesTakeThePerPixelPath() {
        BufferedImage gray = SyntheticCamera.builder().seed(3).imageSize(SIZE).channels(1).build().frame(0).image();
        assertFalse(ImageFrames.normaliseRaster(gray, 1, 16, new float[16 * 16], 0), "another size is resized");
        BufferedImage packed = SyntheticCamera.builder().seed(3).imageSize(SIZE).channels(3).build().frame(0).image();
        assertFalse(ImageFrames.normaliseRaster(packed, 3, SIZE, new float[3 * SIZE * SIZE], 0), "packed RGB goes through getRGB");
        BufferedImage deep = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_USHORT_GRAY);
        assertFalse(ImageFrames.normaliseRaster(deep, 1, SIZE, new float[SIZE * SIZE], 0), "16-bit samples are not levels");
    }

    /**
     * Images of 8-bit samples in the layouts a reader or a program may hand over besides the usual types: a banded
     * raster (a bank per band), a sub-image (its raster translated into its parent's), bands in an unusual order with
     * padding, and a TYPE_BYTE buffer that is not a DataBufferByte. (Not a DataBufferByte that starts at an offset into
     * its array: getRGB and getPixel read that differently, so there is no one per-pixel answer to compare with.)
     */
    private static List<BufferedImage> otherLayouts() {
        BufferedImage picture = SyntheticCamera.builder().seed(4).imageSize(SIZE + 8).channels(3).build().frame(2).image();
        ColorModel rgb = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        ColorModel gray = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        List<BufferedImage> out = new ArrayList<>();
        out.add(painted(new BufferedImage(rgb, Raster.createBandedRaster(DataBuffer.TYPE_BYTE, SIZE, SIZE, 3, null), false, null), picture));
        out.add(redrawn(picture, BufferedImage.TYPE_3BYTE_BGR).getSubimage(3, 5, SIZE, SIZE));
        out.add(redrawn(picture, BufferedImage.TYPE_BYTE_GRAY).getSubimage(7, 1, SIZE, SIZE));
        out.add(redrawn(picture, BufferedImage.TYPE_4BYTE_ABGR).getSubimage(1, 2, SIZE, SIZE));
        // 5 bytes a pixel (G, pad, B, pad, R), rows padded to 7 more bytes
        int scanline = 5 * SIZE + 7;
        WritableRaster odd = Raster.createWritableRaster(new PixelInterleavedSampleModel(DataBuffer.TYPE_BYTE, SIZE, SIZE, 5, scanline,
                new int[] {4, 0, 2}), new DataBufferByte(scanline * SIZE), null);
        out.add(painted(new BufferedImage(rgb, odd, false, null), picture));
        DataBufferByte grayBuffer = new DataBufferByte(2 * SIZE * SIZE);
        WritableRaster sparseGray = Raster.createWritableRaster(new PixelInterleavedSampleModel(DataBuffer.TYPE_BYTE, SIZE, SIZE, 2, 2 * SIZE,
                new int[] {1}), grayBuffer, null);
        out.add(painted(new BufferedImage(gray, sparseGray, false, null), redrawn(picture, BufferedImage.TYPE_BYTE_GRAY)));
        // the bulk path's fallback: samples only through the DataBuffer's methods
        DataBuffer opaque = new DataBuffer(DataBuffer.TYPE_BYTE, 3 * SIZE * SIZE) {
            private final byte[] data = new byte[3 * SIZE * SIZE];

            @Override
            public int getElem(int bank, int i) {
                return data[i] & 0xFF;
            }

            @Override
            public void setElem(int bank, int i, int val) {
                data[i] = (byte) val;
            }
        };
        WritableRaster custom = Raster.createWritableRaster(new PixelInterleavedSampleModel(DataBuffer.TYPE_BYTE, SIZE, SIZE, 3, 3 * SIZE,
                new int[] {0, 1, 2}), opaque, null);
        out.add(painted(new BufferedImage(rgb, custom, false, null), picture));
        return out;
    }

    /** The image with the picture's samples (its top-left size × size pixels) copied in, band for band. */
    private static BufferedImage painted(BufferedImage image, BufferedImage picture) {
        Raster from = picture.getRaster();
        WritableRaster to = image.getRaster();
        int[] pixel = new int[from.getNumBands()];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                from.getPixel(x, y, pixel);
                for (int b = 0; b < to.getNumBands(); b++) {
                    to.setSample(x, y, b, pixel[Math.min(b, pixel.length - 1)]);
                }
            }
        }
        return image;
    }

    private static byte[] png(BufferedImage image) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "png", out));
        return out.toByteArray();
    }

    private static String describe(BufferedImage image) {
        return "type " + image.getType() + " " + image.getSampleModel().getClass().getSimpleName() + " " + image.getRaster().getDataBuffer().getClass().getSimpleName();
    }

    /** The same picture in another image type. */
    private static BufferedImage redrawn(BufferedImage image, int type) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
        out.getGraphics().drawImage(image, 0, 0, null);
        return out;
    }
}

package io.latentwatch.frames;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
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
        }
        int fast = 0;
        for (BufferedImage image : images) {
            for (int channels : new int[] {1, 3}) {
                float[] bulk = new float[channels * SIZE * SIZE + 5];
                float[] perPixel = new float[bulk.length];
                if (ImageFrames.normaliseRaster(image, channels, SIZE, bulk, 5)) {
                    fast++;
                    ImageFrames.resample(image, channels, SIZE, perPixel, 5, SIZE, SIZE, 1);
                    assertArrayEquals(perPixel, bulk, "type " + image.getType() + ", " + channels + " channel(s)");
                }
            }
        }
        // every one: PNG, JPEG and BMP frames, gray and RGB, decode to 8-bit component images, as do the three types
        assertEquals(2 * images.size(), fast, "images the bulk path took, for 1 and 3 channels");
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

    /** The same picture in another image type. */
    private static BufferedImage redrawn(BufferedImage image, int type) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
        out.getGraphics().drawImage(image, 0, 0, null);
        return out;
    }
}

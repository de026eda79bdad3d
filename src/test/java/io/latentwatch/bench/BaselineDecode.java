package io.latentwatch.bench;

import static io.latentwatch.frames.ImageFrames.luma;
import static io.latentwatch.frames.ImageFrames.normalised;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * The decode and bulk normalisation of a frame of the model's size as they were before the cuts of the job's own
 * costs, for {@link JobCostBenchmark}'s before/after in one run: every registered reader asked, a memory-cached
 * stream over the bytes, a new image per frame, and the samples copied out with {@code Raster.getPixels}.
 */
final class BaselineDecode {

    private BaselineDecode() {}

    /** Model input of an 8-bit gray or RGB PNG/JPEG/BMP frame of size × size (what the frame decoder did). */
    static float[] decodeAndNormalise(byte[] bytes, int channels, int size) throws IOException {
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        ImageReader chosen = null;
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            if (chosen == null) {
                chosen = r;
            } else {
                r.dispose();
            }
        }
        if (chosen == null) {
            throw new IOException("not an image");
        }
        try {
            chosen.setInput(in, true, true);
            chosen.getWidth(0);
            chosen.getHeight(0);
            BufferedImage image = chosen.read(0, chosen.getDefaultReadParam());
            float[] out = new float[channels * size * size];
            if (!normaliseRaster(image, channels, size, out, 0)) {
                throw new IOException("not a frame of the bulk path");
            }
            return out;
        } finally {
            chosen.dispose();
            in.close();
        }
    }

    /** ImageFrames.normaliseRaster as it was, past its checks of the image's type. */
    static boolean normaliseRaster(BufferedImage image, int channels, int size, float[] out, int offset) {
        if (image.getWidth() != size || image.getHeight() != size) {
            return false;
        }
        boolean gray = image.getColorModel().getNumColorComponents() == 1;
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int[] samples = raster.getPixels(0, 0, size, size, (int[]) null);
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
        return true;
    }
}

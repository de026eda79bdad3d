package io.latentwatch.frames;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PNG grids of model inputs and outputs, as PyTorch-VAE saves them: inputs above their reconstructions, and
 * decodes of samples from the prior. Tiles are scaled up (nearest neighbour) to at least 64 pixels and separated by
 * a 2-pixel gap.
 */
public final class ImageGrids {

    private static final int GAP = 2;
    private static final int MIN_TILE = 64;

    private ImageGrids() {}

    /**
     * A grid of normalised frames, row by row.
     *
     * @param frames count × channels × size × size values in [−1, 1]
     */
    public static BufferedImage grid(float[] frames, int count, int channels, int size, int columns) {
        int scale = Math.max(1, (MIN_TILE + size - 1) / size);
        int tile = size * scale;
        int rows = (count + columns - 1) / columns;
        BufferedImage img = new BufferedImage(columns * (tile + GAP) + GAP, rows * (tile + GAP) + GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(40, 40, 40));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.dispose();
        int plane = size * size;
        for (int i = 0; i < count; i++) {
            int x0 = GAP + (i % columns) * (tile + GAP);
            int y0 = GAP + (i / columns) * (tile + GAP);
            int base = i * channels * plane;
            for (int y = 0; y < tile; y++) {
                for (int x = 0; x < tile; x++) {
                    int p = base + (y / scale) * size + x / scale;
                    int r = ImageFrames.level(frames[p]);
                    int gr = channels == 3 ? ImageFrames.level(frames[p + plane]) : r;
                    int b = channels == 3 ? ImageFrames.level(frames[p + 2 * plane]) : r;
                    img.setRGB(x0 + x, y0 + y, (r << 16) | (gr << 8) | b);
                }
            }
        }
        return img;
    }

    /**
     * Inputs above their reconstructions: rows of {@code columns} inputs, each followed by the row of their
     * reconstructions.
     */
    public static BufferedImage pairs(float[] inputs, float[] reconstructions, int count, int channels, int size, int columns) {
        int fv = channels * size * size;
        int rows = (count + columns - 1) / columns;
        float[] merged = new float[rows * 2 * columns * fv];
        for (int i = 0; i < count; i++) {
            int row = i / columns;
            int col = i % columns;
            System.arraycopy(inputs, i * fv, merged, ((2 * row) * columns + col) * fv, fv);
            System.arraycopy(reconstructions, i * fv, merged, ((2 * row + 1) * columns + col) * fv, fv);
        }
        // unused tiles of a last partial row stay at −1 (black)
        for (int t = 0; t < rows * 2 * columns; t++) {
            int row = t / columns / 2;
            int i = row * columns + t % columns;
            if (i >= count) {
                java.util.Arrays.fill(merged, t * fv, (t + 1) * fv, -1f);
            }
        }
        return grid(merged, rows * 2 * columns, channels, size, columns);
    }

    public static void writePng(BufferedImage img, Path file) throws IOException {
        Files.write(file, ImageEncoding.png(img));
    }
}

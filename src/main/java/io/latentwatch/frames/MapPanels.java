package io.latentwatch.frames;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A frame's pictures side by side, in the model's pixel grid upscaled by whole pixels: input | reconstruction |
 * anomaly map over the input with its region ({@link MapOverlay}), or input | reconstruction for a model without
 * maps; and such rows stacked into one picture ({@code score-images --maps}, {@code evaluate --worst}).
 */
public final class MapPanels {

    private static final int GAP = 2;
    private static final Color BACKGROUND = new Color(40, 40, 40);
    /** Tiles are upscaled to at least this many pixels a side, as in {@link ImageGrids}. */
    private static final int MIN_TILE = 128;

    private MapPanels() {}

    /** The whole-pixel upscaling that makes a tile of a size × size grid at least {@value #MIN_TILE} pixels a side. */
    public static int scaleFor(int size) {
        return Math.max(1, (MIN_TILE + size - 1) / size);
    }

    /**
     * One frame's row.
     *
     * @param input the model's input: channels × size × size values in [−1, 1]
     * @param reconstruction the model's decode(μ), the same shape
     * @param map size × size map values, row-major, or null (two tiles only)
     * @param threshold the map's region threshold (see {@link MapOverlay#overlay})
     * @param region {x, y, w, h} in the model's grid, or null
     */
    public static BufferedImage row(float[] input, float[] reconstruction, int channels, int size, float[] map, double threshold, int[] region,
            int scale) {
        int tile = size * scale;
        int tiles = map == null ? 2 : 3;
        BufferedImage out = new BufferedImage(tiles * (tile + GAP) + GAP, tile + 2 * GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(frame(input, channels, size, scale), GAP, GAP, null);
        g.drawImage(frame(reconstruction, channels, size, scale), 2 * GAP + tile, GAP, null);
        if (map != null) {
            g.drawImage(MapOverlay.overlay(input, channels, size, map, threshold, region, scale), 3 * GAP + 2 * tile, GAP, null);
        }
        g.dispose();
        return out;
    }

    /** Rows one under the other, left-aligned (the widest sets the width). */
    public static BufferedImage stack(List<BufferedImage> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows to stack");
        }
        int width = rows.stream().mapToInt(BufferedImage::getWidth).max().getAsInt();
        int height = rows.stream().mapToInt(BufferedImage::getHeight).sum();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, width, height);
        int y = 0;
        for (BufferedImage r : rows) {
            g.drawImage(r, 0, y, null);
            y += r.getHeight();
        }
        g.dispose();
        return out;
    }

    /** A normalised frame as an image, upscaled. */
    private static BufferedImage frame(float[] pixels, int channels, int size, int scale) {
        BufferedImage out = new BufferedImage(size * scale, size * scale, BufferedImage.TYPE_INT_RGB);
        int plane = size * size;
        for (int y = 0; y < size * scale; y++) {
            for (int x = 0; x < size * scale; x++) {
                int i = (y / scale) * size + x / scale;
                int r = ImageFrames.level(pixels[i]);
                int g = channels == 3 ? ImageFrames.level(pixels[plane + i]) : r;
                int b = channels == 3 ? ImageFrames.level(pixels[2 * plane + i]) : r;
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }
}

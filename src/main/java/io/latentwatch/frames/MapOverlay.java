package io.latentwatch.frames;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

/**
 * Pictures of anomaly maps: the frame as the model saw it with its map laid over it in red (opaque where a pixel is
 * twice the region threshold or more) and the region's box in yellow, for alerts, {@code score-images --maps} and
 * evaluation grids. Every picture is in the model's pixel grid, upscaled by whole pixels.
 */
public final class MapOverlay {

    private static final Color REGION = new Color(255, 220, 0);

    private MapOverlay() {}

    /**
     * The frame with its map over it.
     *
     * @param pixels the model's input for the frame: channels × size × size values in [−1, 1]
     * @param map size × size map values, row-major
     * @param threshold the region threshold (values above it are coloured); NaN: coloured from the map's own range
     * @param region {x, y, w, h} in the model's grid, or null
     * @param scale whole-pixel upscaling, at least 1
     */
    public static BufferedImage overlay(float[] pixels, int channels, int size, float[] map, double threshold, int[] region, int scale) {
        double lo;
        double hi;
        if (Double.isFinite(threshold) && threshold > 0) {
            lo = 0;
            hi = 2 * threshold;
        } else {
            lo = Double.POSITIVE_INFINITY;
            hi = Double.NEGATIVE_INFINITY;
            for (float v : map) {
                if (Float.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        double range = hi > lo ? hi - lo : 1;
        BufferedImage out = new BufferedImage(size * scale, size * scale, BufferedImage.TYPE_INT_RGB);
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int i = y * size + x;
                int r = ImageFrames.level(pixels[i]);
                int g = channels == 3 ? ImageFrames.level(pixels[plane + i]) : r;
                int b = channels == 3 ? ImageFrames.level(pixels[2 * plane + i]) : r;
                float v = map[i];
                double a = Float.isNaN(v) ? 1 : Math.max(0, Math.min(1, (v - lo) / range));
                a *= 0.7;
                int rgb = (int) Math.round(r * (1 - a) + 255 * a) << 16 | (int) Math.round(g * (1 - a)) << 8 | (int) Math.round(b * (1 - a));
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        out.setRGB(x * scale + dx, y * scale + dy, rgb);
                    }
                }
            }
        }
        if (region != null) {
            Graphics2D g = out.createGraphics();
            g.setColor(REGION);
            g.drawRect(region[0] * scale, region[1] * scale, region[2] * scale - 1, region[3] * scale - 1);
            g.dispose();
        }
        return out;
    }

    /**
     * The overlay as PNG of at most {@code maxBytes}: the largest of the upscalings 4, 2 and 1 that fits, or null when
     * not even the model's own grid fits.
     */
    public static byte[] png(float[] pixels, int channels, int size, float[] map, double threshold, int[] region, int maxBytes) {
        for (int scale = 4; scale >= 1; scale /= 2) {
            byte[] png = ImageEncoding.png(overlay(pixels, channels, size, map, threshold, region, scale));
            if (png.length <= maxBytes) {
                return png;
            }
        }
        return null;
    }
}

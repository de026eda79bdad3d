package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * How image tensors are laid out in memory. Shapes stay (batch, channels, H, W) either way; with NHWC ("channels
 * last") the engine's convolutions run their channels-last kernels, which are faster on CPUs (oneDNN) and for
 * half precision on GPUs, and the depth-to-space step of {@link ConvTranspose2d} copies whole channel vectors
 * instead of single floats.
 */
public enum MemoryLayout {
    NCHW,
    NHWC;

    public static MemoryLayout parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layout must be nchw or nhwc, got " + text);
        }
    }

    /** The same values as a (batch, C, H, W) tensor stored in this layout (one copy for NHWC). */
    public NDArray arrange(NDArray x) {
        if (this == NCHW) {
            return x;
        }
        Shape s = x.getShape();
        // the permuted view is not contiguous, so reshape copies it into H, W, C order
        return x.transpose(0, 2, 3, 1).reshape(s.get(0), s.get(2), s.get(3), s.get(1)).reshape(s.get(0), -1)
                .reshape(s.get(0), s.get(2), s.get(3), s.get(1)).transpose(0, 3, 1, 2);
    }

    /**
     * Creates a (batch, C, H, W) float32 tensor in this layout from frames stored one after another in C, H, W
     * order, rearranging on the host for NHWC (cheaper than a device copy on a CPU).
     *
     * @param frames count × C × H × W values
     * @param buffer a direct buffer of at least count × C × H × W floats, reused between batches
     */
    public NDArray upload(NDManager manager, float[] frames, int count, Shape frame, ByteBuffer buffer) {
        int c = (int) frame.get(0);
        int h = (int) frame.get(1);
        int w = (int) frame.get(2);
        int values = c * h * w;
        buffer.clear();
        FloatBuffer out = buffer.asFloatBuffer();
        if (this == NCHW || c == 1) {
            out.put(frames, 0, count * values);
        } else {
            float[] row = new float[w * c];
            int plane = h * w;
            for (int n = 0; n < count; n++) {
                int base = n * values;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        for (int k = 0; k < c; k++) {
                            row[x * c + k] = frames[base + k * plane + y * w + x];
                        }
                    }
                    out.put(row);
                }
            }
        }
        buffer.limit(count * values * Float.BYTES);
        if (this == NCHW) {
            return manager.create(buffer, new Shape(count, c, h, w), DataType.FLOAT32);
        }
        return manager.create(buffer, new Shape(count, h, w, c), DataType.FLOAT32).transpose(0, 3, 1, 2);
    }

    /**
     * Depth to space for the transposed convolution's phases.
     *
     * @param phases (batch, 4·out, H, W), channel (2a + b)·out + o holding output pixel (2m + a, 2n + b)
     * @return (batch, out, 2H, 2W) in this layout
     */
    public NDArray depthToSpace(NDArray phases) {
        Shape s = phases.getShape();
        long batch = s.get(0);
        long out = s.get(1) / 4;
        long h = s.get(2);
        long w = s.get(3);
        if (this == NCHW) {
            return phases.reshape(batch, 2, 2, out, h, w)
                    .transpose(0, 3, 4, 1, 5, 2) // batch, out, H, a, W, b
                    .reshape(batch, out, 2 * h, 2 * w);
        }
        return phases.transpose(0, 2, 3, 1) // batch, H, W, 4·out: contiguous in NHWC
                .reshape(batch, h, w, 2, 2, out)
                .transpose(0, 1, 3, 2, 4, 5) // batch, H, a, W, b, out
                .reshape(batch, 2 * h, 2 * w, out)
                .transpose(0, 3, 1, 2);
    }
}

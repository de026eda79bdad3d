package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
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

package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * Arrays made from Java values that live in memory the engine allocated.
 *
 * <p>On the CPU, DJL's PyTorch {@code NDManager.create(...)} wraps a Java direct buffer as the tensor's storage
 * ({@code from_blob}), which only the Java wrapper of that one array keeps alive. A view of it (reshape, transpose) or
 * a tensor autograd saved for backward shares the storage but not the wrapper: once the wrapper is closed or
 * collected, the buffer is freed and those tensors read garbage (seen as diverging training and 1e36 gradients,
 * only under GC pressure). The scalar ops {@code mul(Number)} and {@code div(Number)} have the same tie through a
 * scalar they close at once. A copy made by the engine has no such tie.
 */
public final class EngineArrays {

    private EngineArrays() {}

    /**
     * A scalar of {@code like}'s type and device, owned by {@code like}'s manager, in engine memory. Use it instead of
     * {@code mul(Number)}/{@code div(Number)} on anything autograd differentiates: those make the scalar with
     * {@code create(Number)}, close it right after the op, and autograd keeps it for backward.
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType()).toDevice(like.getDevice(), false);
    }

    /** {@code values} (row-major) as a float32 array of {@code shape}, owned by {@code manager}, in engine memory. */
    public static NDArray copyOf(NDManager manager, float[] values, Shape shape) {
        return copyOf(manager, FloatBuffer.wrap(values), shape);
    }

    /** {@code values} (row-major) as an int64 array of {@code shape}, owned by {@code manager}, in engine memory. */
    public static NDArray copyOf(NDManager manager, long[] values, Shape shape) {
        try (NDArray staged = manager.create(values, shape)) {
            return staged.duplicate();
        }
    }

    /** The first {@code shape.size()} values of {@code values} as a float32 array in engine memory. */
    public static NDArray copyOf(NDManager manager, FloatBuffer values, Shape shape) {
        try (NDArray staged = manager.create(values, shape)) {
            return staged.duplicate();
        }
    }
}

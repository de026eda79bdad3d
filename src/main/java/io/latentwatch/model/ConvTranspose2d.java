package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.ConvTranspose2d(in, out, kernel_size=3, stride=2, padding=1, output_padding=1)}, built from
 * operations DJL's PyTorch engine supports (its own transposed convolution is not implemented).
 *
 * <p>Phase (sub-pixel) decomposition: output pixel (2m+a, 2n+b) only sees input rows m, m+1 and columns n, n+1,
 * so one stride-1 2×2 convolution with 4·out filters (one group per phase (a, b)) over the input padded by one
 * row and column at the bottom/right, followed by a depth-to-space shuffle, computes the whole output. It costs
 * 16 multiply-adds per input pixel and channel pair where the ideal is 9 (1.78×; zero insertion costs 4×), and
 * uses four engine operations, which matters more than multiply-adds on a GPU at small batches.
 *
 * <p>The weight keeps PyTorch's layout {@code [in, out, 3, 3]}; the 2×2 phase kernel is derived from it by a
 * matrix product with a constant 0/1 selection matrix, so gradients reach the weight through DJL autograd.
 */
public final class ConvTranspose2d extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int outChannels;
    private final Parameter weight;
    private final Parameter bias;
    /**
     * The selection matrix on the weight's device and in its type, made once: made per forward, its upload from the
     * host would wait for all queued GPU work in every training step.
     */
    private NDArray selection;

    /**
     * Creates the block.
     *
     * @param outChannels number of output channels; the input channel count comes from the input shape
     */
    public ConvTranspose2d(int outChannels) {
        super(VERSION);
        if (outChannels <= 0) {
            throw new IllegalArgumentException("outChannels must be positive, got " + outChannels);
        }
        this.outChannels = outChannels;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
    }

    public Parameter getWeight() {
        return weight;
    }

    public Parameter getBias() {
        return bias;
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        long in = inputShapes[0].get(1);
        weight.setShape(new Shape(in, outChannels, 3, 3));
        bias.setShape(new Shape(outChannels));
        // PyTorch's default: kaiming_uniform(a=√5) == U(±1/√fan_in), fan_in = weight.size(1)·k·k
        float bound = (float) (1 / Math.sqrt(outChannels * 9.0));
        weight.setInitializer(new UniformInitializer(bound));
        bias.setInitializer(new UniformInitializer(bound));
    }

    /** Input (batch, in, H, W) gives output (batch, out, 2H, 2W). */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), outChannels, s.get(2) * 2, s.get(3) * 2)};
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, x.getDevice(), training);
        // derived weights belong to the input's (per-batch) manager, not the parameters' long-lived one
        return new NDList(apply(x, phaseKernel(w, selectionFor(w), x.getManager()), phaseBias(b, x.getManager())));
    }

    private NDArray selectionFor(NDArray w) {
        if (selection == null || selection.isReleased() || !selection.getDevice().equals(w.getDevice())
                || selection.getDataType() != w.getDataType()) {
            // owned by the weight's manager: lives as long as the parameters it serves
            selection = selection(w.getManager()).toType(w.getDataType(), false).toDevice(w.getDevice(), false);
        }
        return selection;
    }

    /**
     * Rearranges a PyTorch ConvTranspose2d weight into the stride-1 2×2 kernel of the four output phases.
     *
     * @param weight shape (in, out, 3, 3)
     * @param scope manager that owns the result and every intermediate array
     * @return shape (4·out, in, 2, 2); filter index = (2a + b)·out + o for output phase (a, b)
     */
    public static NDArray phaseKernel(NDArray weight, NDManager scope) {
        return phaseKernel(weight, selection(scope).toType(weight.getDataType(), false).toDevice(weight.getDevice(), false), scope);
    }

    /** As {@link #phaseKernel(NDArray, NDManager)}, with the selection matrix already on the weight's device. */
    private static NDArray phaseKernel(NDArray weight, NDArray select, NDManager scope) {
        Shape s = weight.getShape();
        long in = s.get(0);
        long out = s.get(1);
        NDArray flat = weight.reshape(in * out, 9);
        flat.attach(scope);
        return flat.matMul(select)
                .reshape(in, out, 2, 2, 2, 2) // in, out, a, b, dy, dx
                .transpose(2, 3, 1, 0, 4, 5) // a, b, out, in, dy, dx
                .reshape(4 * out, in, 2, 2);
    }

    /** The bias repeated for each of the four phases, shape (4·out), owned by {@code scope}. */
    public static NDArray phaseBias(NDArray bias, NDManager scope) {
        NDArray tiled = bias.tile(4);
        tiled.attach(scope);
        return tiled;
    }

    /**
     * Runs the transposed convolution from a phase kernel.
     *
     * @param x input of shape (batch, in, H, W)
     * @param kernel from {@link #phaseKernel}, shape (4·out, in, 2, 2)
     * @param bias from {@link #phaseBias}, shape (4·out), or null
     * @return output of shape (batch, out, 2H, 2W)
     */
    public static NDArray apply(NDArray x, NDArray kernel, NDArray bias) {
        return apply(x, kernel, bias, MemoryLayout.NCHW);
    }

    /** As {@link #apply(NDArray, NDArray, NDArray)}, with the output stored in the given layout. */
    public static NDArray apply(NDArray x, NDArray kernel, NDArray bias, MemoryLayout layout) {
        return layout.depthToSpace(phases(x, kernel, bias));
    }

    /**
     * The output's four phases, before depth-to-space: channel (2a + b)·out + o of the result holds output pixel
     * (2m + a, 2n + b) at (m, n).
     *
     * @return shape (batch, 4·out, H, W)
     */
    public static NDArray phases(NDArray x, NDArray kernel, NDArray bias) {
        NDArray padded = x.pad(new Shape(0, 1, 0, 1), 0); // right and bottom: rows/cols m+1 beyond the edge
        return Conv2d.conv2d(padded, kernel, bias).singletonOrThrow();
    }

    /**
     * The constant (9, 16) matrix that maps kernel tap (ky, kx) to (phase a, phase b, dy, dx). Along one axis,
     * output 2m takes tap 1 from input m; output 2m+1 takes tap 2 from input m and tap 0 from input m+1.
     */
    private static NDArray selection(NDManager manager) {
        int[][] tap = {{1, -1}, {2, 0}}; // tap[phase][offset], -1: no tap
        float[] m = new float[9 * 16];
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        int ky = tap[a][dy];
                        int kx = tap[b][dx];
                        if (ky >= 0 && kx >= 0) {
                            m[(ky * 3 + kx) * 16 + a * 8 + b * 4 + dy * 2 + dx] = 1;
                        }
                    }
                }
            }
        }
        return EngineArrays.copyOf(manager, m, new Shape(9, 16));
    }

    @Override
    public String toString() {
        return "ConvTranspose2d(out=" + outChannels + ", k=3, s=2, p=1, output_padding=1)";
    }

    /** Initialises a standalone block for input of the given channel count (used by tests and tools). */
    public void initialize(NDManager manager, long inChannels) {
        initialize(manager, DataType.FLOAT32, new Shape(1, inChannels, 1, 1));
    }
}

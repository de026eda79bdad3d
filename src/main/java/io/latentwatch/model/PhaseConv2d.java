package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * A stride-1, padding-1 3×3 convolution applied to an image held as its four 2×2 phases (the output of
 * {@link ConvTranspose2d#phases}), producing the output's phases. Scoring uses it for final_layer's Conv2d: the
 * depth-to-space shuffle then moves in_channels (1 or 3) values per pixel instead of hidden_dims[0], which on a
 * CPU costs more than the extra multiply-adds (the phase kernel is dense 3×3 over 4× the channels, a quarter of
 * it zeros).
 */
public final class PhaseConv2d {

    private PhaseConv2d() {}

    /**
     * Rearranges a Conv2d weight for phase input.
     *
     * @param weight shape (out, in, 3, 3)
     * @param scope manager that owns the result and the intermediates
     * @return shape (4·out, 4·in, 3, 3); output channel (2a' + b')·out + o, input channel (2a + b)·in + c
     */
    public static NDArray kernel(NDArray weight, NDManager scope) {
        Shape s = weight.getShape();
        long out = s.get(0);
        long in = s.get(1);
        NDArray flat = weight.reshape(out * in, 9);
        flat.attach(scope);
        NDArray select = selection(scope).toType(weight.getDataType(), false).toDevice(weight.getDevice(), false);
        return flat.matMul(select)
                .reshape(out, in, 4, 4, 3, 3) // o, c, output phase, input phase, r, s
                .transpose(2, 0, 3, 1, 4, 5)
                .reshape(4 * out, 4 * in, 3, 3);
    }

    /** The bias repeated for each output phase. */
    public static NDArray bias(NDArray bias, NDManager scope) {
        return ConvTranspose2d.phaseBias(bias, scope);
    }

    /**
     * @param phases shape (batch, 4·in, H, W)
     * @return the output's phases, shape (batch, 4·out, H, W)
     */
    public static NDArray apply(NDArray phases, NDArray kernel, NDArray bias) {
        return Conv2d.conv2d(phases, kernel, bias, new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
    }

    /**
     * (9, 16·9): tap (dy, dx) of the image kernel to (output phase a'b', input phase ab, grid offset r, s). Image row
     * 2m + a' + dy lies in phase a = (a' + dy) mod 2 at grid row m + r, r = ⌊(a' + dy) / 2⌋; so dy = 2r + a − a'.
     */
    private static NDArray selection(NDManager manager) {
        float[] m = new float[9 * 16 * 9];
        for (int ao = 0; ao < 2; ao++) {
            for (int bo = 0; bo < 2; bo++) {
                for (int a = 0; a < 2; a++) {
                    for (int b = 0; b < 2; b++) {
                        for (int r = -1; r <= 1; r++) {
                            for (int c = -1; c <= 1; c++) {
                                int dy = 2 * r + a - ao;
                                int dx = 2 * c + b - bo;
                                if (Math.abs(dy) <= 1 && Math.abs(dx) <= 1) {
                                    int col = ((ao * 2 + bo) * 4 + a * 2 + b) * 9 + (r + 1) * 3 + (c + 1);
                                    m[((dy + 1) * 3 + dx + 1) * 144 + col] = 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        return EngineArrays.copyOf(manager, m, new Shape(9, 144));
    }
}

package io.latentwatch.model;

import static io.latentwatch.Fixtures.FORWARD_TOLERANCE;
import static io.latentwatch.Fixtures.GRADIENT_TOLERANCE;
import static io.latentwatch.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.latentwatch.Fixtures;
import org.junit.jupiter.api.Test;

class ConvTranspose2dTest {

    @Test
    void matchesPyTorchForwardAndGradients() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList c = Fixtures.load(manager, "conv_transpose2d", "case.safetensors");
            ConvTranspose2d block = new ConvTranspose2d(4);
            block.initialize(manager, 5);
            block.getWeight().getArray().set(c.get("weight").toFloatArray());
            block.getBias().getArray().set(c.get("bias").toFloatArray());
            NDArray x = c.get("x").duplicate();
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), true).singletonOrThrow();
                assertClose(y, c.get("y"), FORWARD_TOLERANCE, "forward");
                gc.backward(y.mul(c.get("upstream_grad")).sum());
            }
            assertClose(x.getGradient(), c.get("grad_x"), GRADIENT_TOLERANCE, "grad x");
            assertClose(block.getWeight().getArray().getGradient(), c.get("grad_weight"), GRADIENT_TOLERANCE, "grad weight");
            assertClose(block.getBias().getArray().getGradient(), c.get("grad_bias"), GRADIENT_TOLERANCE, "grad bias");
        }
    }

    @Test
    void outputShapeDoublesTheInput() {
        ConvTranspose2d block = new ConvTranspose2d(7);
        Shape out = block.getOutputShapes(new Shape[] {new Shape(2, 3, 5, 6)})[0];
        assertEquals(new Shape(2, 7, 10, 12), out);
    }

    @Test
    void phaseKernelCostsAtMostTwiceTheIdealMultiplyAdds() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray kernel = ConvTranspose2d.phaseKernel(manager.ones(new Shape(8, 6, 3, 3)), manager);
            assertEquals(new Shape(24, 8, 2, 2), kernel.getShape());
            long macsPerInputPixel = kernel.getShape().size(); // stride-1 conv over H×W input pixels
            long ideal = 8L * 6 * 9;
            double ratio = (double) macsPerInputPixel / ideal;
            assertEquals(16.0 / 9.0, ratio, 1e-9);
            // every one of the 9 taps of every (in, out) pair appears exactly once among the phase kernels
            assertEquals(8 * 6 * 9, kernel.sum().getFloat(), 1e-3);
        }
    }
}

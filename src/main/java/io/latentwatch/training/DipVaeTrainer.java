package io.latentwatch.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.DipLoss;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.EngineArrays;
import io.latentwatch.model.DipVaeConfig;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Optimisation steps of a DIP-VAE: train-mode forward, the full DIP loss, backward, Adam. Each step runs in its own
 * NDManager scope (inputs, activations, gradient handles), closed at the end, so memory stays flat. Not
 * thread-safe.
 */
public final class DipVaeTrainer {

    private final DipVae model;
    private final DipLoss loss;
    private final Adam optimizer;
    private final Map<String, Parameter> parameters;
    private final NDManager manager;

    /**
     * @param model an initialised model; its parameters are updated in place
     * @param manager the manager the model's parameters live in (its device is where steps run)
     * @param learningRate Adam's step size
     */
    public DipVaeTrainer(DipVae model, NDManager manager, Tracker learningRate) {
        this.model = model;
        this.manager = manager;
        this.loss = DipLoss.of(model.getConfig());
        this.optimizer = Adam.builder().optLearningRateTracker(learningRate).build();
        this.parameters = model.stateDict();
        parameters.values().forEach(p -> p.getArray().setRequiresGradient(p.requiresGradient()));
    }

    /** The loss terms of one step, read back to the host. */
    public static final class StepLoss {
        public final double recons;
        public final double kld;
        public final double offDiagonal;
        public final double diagonal;
        public final double total;

        StepLoss(float[] v) {
            recons = v[0];
            kld = v[1];
            offDiagonal = v[2];
            diagonal = v[3];
            total = v[4];
        }
    }

    /**
     * One Adam step on a batch.
     *
     * @param pixels frames, in_channels × image_size × image_size values each, in [−1, 1]
     * @param count frames in the batch (at least 2: the DIP term needs a covariance)
     */
    public StepLoss step(float[] pixels, int count) {
        if (count < 2) {
            throw new IllegalArgumentException("a training batch needs at least 2 frames, got " + count);
        }
        DipVaeConfig c = model.getConfig();
        try (NDManager scope = manager.newSubManager()) {
            // autograd keeps the input until backward: engine memory, not a buffer create() aliases (EngineArrays)
            NDArray x = EngineArrays.copyOf(scope, FloatBuffer.wrap(pixels, 0, count * c.frameValues()),
                    new Shape(count, c.inChannels(), c.imageSize(), c.imageSize()));
            float[] values;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = model.forward(new ParameterStore(scope, false), new NDList(x), true);
                DipLoss.Terms t = loss.compute(out.get(0), x, out.get(1), out.get(2));
                gc.backward(t.total);
                values = NDArrays.stack(new NDList(t.recons, t.kld, t.offDiagonalSquaredSum, t.diagonalDeviationSquaredSum, t.total))
                        .toFloatArray();
            }
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                Parameter p = e.getValue();
                if (!p.requiresGradient()) {
                    continue;
                }
                NDArray grad = p.getArray().getGradient();
                grad.attach(scope); // the handle, not the gradient storage, which the parameter keeps
                optimizer.update(e.getKey(), p.getArray(), grad);
                grad.subi(grad); // the engine accumulates gradients across backward calls
            }
            return new StepLoss(values);
        }
    }
}
